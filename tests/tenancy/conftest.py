"""The provenance tests' studio fixtures (a small catalog imported), for the key tests."""

from provenance.conftest import studio, studio_any_db  # noqa: F401
