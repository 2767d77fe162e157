"""The rights registry: ORM models, catalog import/export, clearance engine, audit log.

The public surface, imported lazily (importing `clearreel.rights.models` stays cheap):

- `check_use`, `check_generation`, `credited_performers`, `Decision`, `Reason`, `Clearance`
  (clearance.py: the contract's four rules, deny by default, with reasons);
- `import_catalog`, `load_catalog`, `export_catalog` (catalog.py: the catalog file);
- `read_reservations`, `FoundReservation` (reservations.py: IPTC / CAWG / C2PA / TDMRep).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Clearance": "clearance", "Decision": "clearance", "Reason": "clearance",
    "check_generation": "clearance", "check_use": "clearance",
    "credited_performers": "clearance", "present_performers": "clearance",
    "export_catalog": "catalog", "import_catalog": "catalog", "load_catalog": "catalog",
    "FoundReservation": "reservations", "read_reservations": "reservations",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
