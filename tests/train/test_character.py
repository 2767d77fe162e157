"""Character adapters need `character_generation` from the character's owner (rule 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clearreel.config import Settings
from clearreel.errors import Denied
from provenance.conftest import catalog, studio  # noqa: F401  (fixtures)


def test_character_licence_gate(studio: Callable[..., Settings]) -> None:  # noqa: F811
    from clearreel.db import open_session
    from clearreel.rights.audit import entries
    from clearreel.train import check_character

    s = studio()
    check_character(s, "c-mara")  # owner p-north licenses character_generation: allowed
    with pytest.raises(Denied, match="c-jon"):
        check_character(s, "c-jon")  # owner p-co granted nothing
    with open_session(s) as ss:
        decisions = {e.subject: e.payload["allowed"] for e in entries(ss, "train.character")}
    assert decisions == {"c-mara": True, "c-jon": False}


def test_cli_refuses_an_unlicensed_character_and_trains_nothing(
    studio: Callable[..., Settings], cli  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    s = studio()
    code, _out, err = cli("train", "--dataset", "any", "--name", "jon", "--character", "c-jon",
                          "--trigger", "jonh")
    assert code == 1 and "refused" in err
    assert not (s.home / "models" / "jon").exists()
    assert not (s.home / "cache" / "bases").exists()
    # Allowed character: the rights check passes and the next problem is the dataset (exit 2).
    code, _out, err = cli("train", "--dataset", "nope", "--name", "mara", "--character", "c-mara",
                          "--trigger", "mara")
    assert code == 2 and "nope" in err


def test_cli_validates_options_first(studio, cli) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    studio()
    code, _out, err = cli("train", "--dataset", "d", "--name", "m", "--set", "stepz=3")
    assert code == 2 and "unknown training option" in err
    code, _out, err = cli("train", "--dataset", "d", "--name", "m", "--character", "c-mara")
    assert code == 2 and "--trigger" in err
    code, _out, err = cli("train", "--dataset", "d", "--name", "m", "--character", "c-mara",
                          "--trigger", "two words")
    assert code == 2 and "one word" in err
