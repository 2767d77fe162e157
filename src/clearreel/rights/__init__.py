"""The rights registry: ORM models, catalog import/export, clearance engine, audit log."""
