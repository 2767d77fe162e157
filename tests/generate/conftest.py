from __future__ import annotations

# The studio fixtures and tiny footage are shared with the provenance tests.
from provenance.conftest import catalog, studio, studio_any_db

__all__ = ["catalog", "studio", "studio_any_db"]
