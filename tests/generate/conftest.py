from __future__ import annotations

# The studio fixture and tiny footage are shared with the provenance tests.
from provenance.conftest import catalog, studio

__all__ = ["catalog", "studio"]
