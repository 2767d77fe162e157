"""The works matrix is cached per registry version: a revocation, a grant or a catalog import
changes what the next request shows; looking (an audited `rights check`) does not invalidate."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import yaml

from web.studio import catalog


def _cell(api: Any, work: str = "a-harbor", use: str = "ai_training") -> dict[str, Any]:
    doc = api("rights-a").get("/api/v1/rights/matrix").json()
    return next(w for w in doc["works"] if w["id"] == work)["cells"][use]


def _scoped(studio: dict[str, Any]) -> Any:
    return dataclasses.replace(studio["settings"], org="org-a")


def _version(s: Any) -> Any:
    from clearreel.db import open_session
    from clearreel.rights.models import registry_version

    with open_session(s) as session:
        return registry_version(session)


def test_the_matrix_is_served_from_the_cache_until_the_registry_changes(
        studio: dict[str, Any], api: Any, clients: dict[str, Any], tmp_path: Any) -> None:
    from clearreel.db import open_session
    from clearreel.rights.catalog import import_catalog
    from clearreel.rights.clearance import check_use
    from clearreel.rights.consents import grant
    from clearreel.train.downstream import revoke
    from clearreel.web import views

    s = _scoped(studio)
    assert _cell(api)["allowed"]
    assert views.works_matrix(s) is views.works_matrix(s)  # the second is the cached page
    v0 = _version(s)
    assert v0 is not None
    with open_session(s) as session:  # an audited check writes the audit log, not the registry
        assert check_use(session, "a-harbor", "ai_training", audit=True).allowed
    assert _version(s) == v0
    cached = views.works_matrix(s)
    assert views.works_matrix(s) is cached

    # Revoked today (as `consent revoke` does, from another session): the next page says so.
    with open_session(s) as session:
        revoke(session, "a-k-ava-train", date=dt.date.today())
    assert _version(s) != v0 and views.works_matrix(s) is not cached
    cell = _cell(api)
    assert not cell["allowed"]
    assert any(r["consent"] == "a-k-ava-train" for r in cell["reasons"])
    page = clients["rights-a"].get("/works").text
    assert "a-k-ava-train" in page

    # A new training consent: allowed again at once.
    with open_session(s) as session:
        grant(session, party="a-ava", kind="training", signed=dt.date(2024, 2, 1),
              id="a-k-ava-train-2")
    cell = _cell(api)
    assert cell["allowed"] and any(r["consent"] == "a-k-ava-train-2" for r in cell["reasons"])

    # A catalog import that forbids the use: the cell follows.
    data = catalog("org-a", "a-")
    (old,) = [k for k in data["consents"] if k["id"] == "a-k-ava-train"]
    old.update(status="revoked", revoked=dt.date.today().isoformat())
    data["consents"].append({"id": "a-k-ava-train-2", "party": "a-ava", "kind": "training",
                             "status": "granted", "works": "all", "signed": "2024-02-01"})
    data["licenses"][0]["uses"]["ai_training"] = "notAllowed"
    f = tmp_path / "org-a.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    import_catalog(s, f, scan=False)
    cell = _cell(api)
    assert not cell["allowed"] and any(r["license"] == "a-lic" and r["effect"] == "deny"
                                       for r in cell["reasons"])


def test_a_rolled_back_write_keeps_the_version(studio: dict[str, Any]) -> None:
    import pytest

    from clearreel.db import open_session
    from clearreel.rights.models import Party

    s = _scoped(studio)
    v = _version(s)
    with pytest.raises(RuntimeError), open_session(s) as session:
        session.add(Party(id="a-nobody", name="Nobody", kind="person", references=[]))
        session.flush()
        raise RuntimeError("abandoned")
    assert _version(s) == v


def test_the_dataset_page_sees_a_new_exclusion(studio: dict[str, Any],
                                              clients: dict[str, Any]) -> None:
    """The exclusions' timecodes are cached per dataset; a row added changes the key."""
    from clearreel.dataset.models import Dataset, Exclusion
    from clearreel.db import open_session

    s = _scoped(studio)
    c = clients["rights-a"]
    assert "consent.refused" not in c.get("/datasets/a-data").text
    with open_session(s) as session:
        ds = session.query(Dataset).filter(Dataset.name == "a-data").one()
        session.add(Exclusion(dataset_pk=ds.pk, clip_id="a-harbor_m0_0000900_0000916",
                              work_id="a-harbor", media_uri="/m/harbor.mp4", start_frame=900,
                              end_frame=916, stage="clearance",
                              reasons=[{"code": "consent.refused", "party": "a-ben"}]))
    page = c.get("/datasets/a-data").text
    assert "consent.refused" in page and "frames 900–916" in page
