"""The docs cover the contract: every catalog field and every reason code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from clearreel.rights import catalog_schema, clearance

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _models() -> list[type[BaseModel]]:
    s = catalog_schema
    return [s.Catalog, s.OrganizationSpec, s.PartySpec, s.Reference, s.WorkSpec,
            s.ParticipationSpec, s.SceneSpec, s.CharacterSpec, s.LicenseSpec, s.ConsentSpec]


def test_every_catalog_field_is_documented() -> None:
    text = (DOCS / "catalog.md").read_text()
    for model in _models():
        for name in model.model_fields:
            assert f"`{name}`" in text, f"{model.__name__}.{name} is not in docs/catalog.md"


def test_every_reason_code_is_documented() -> None:
    source = Path(clearance.__file__).read_text()
    found = set(re.findall(r'"((?:license|consent|replica|character|reservation|generation)'
                           r'\.[a-z_]+)"', source))
    assert len(found) >= 25
    text = (DOCS / "clearance.md").read_text()
    for code in sorted(found):
        assert f"| `{code}` |" in text, f"reason code {code} is not in docs/clearance.md"


def test_every_rights_command_is_documented() -> None:
    text = (DOCS / "clearance.md").read_text() + (DOCS / "catalog.md").read_text()
    for cmd in ("catalog import", "catalog list", "catalog show", "catalog export",
                "rights check", "rights generation", "rights scan", "rights consent-mode"):
        assert f"clearreel {cmd}" in text
