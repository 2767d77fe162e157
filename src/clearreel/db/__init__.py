"""Database: engine, tenant-scoped sessions, migrations; the workspace's persistent state.

Beside the registry: `orgs` (organizations and the workspace's identity, workspace.json),
`layout` (moving an old workspace's files to one folder per organization) and `keystore` (the
files of each organization's keys, which `clearreel.provenance.keys` signs and verifies with).

Every ORM model that belongs to a studio inherits `TenantMixin`; a `Session` opened with
`session(settings, org=...)` sees only that organization's rows (an ORM loader criterion
is added to every SELECT) and refuses to flush a row of another organization.
"""

from clearreel.db._base import Base, TenantMixin, utcnow
from clearreel.db._session import (
    advisory_xact_lock,
    check_schema,
    connect,
    current_org,
    init_db,
    open_session,
    resolve_org,
    write_lock,
)

__all__ = [
    "Base",
    "TenantMixin",
    "advisory_xact_lock",
    "check_schema",
    "connect",
    "current_org",
    "init_db",
    "open_session",
    "resolve_org",
    "utcnow",
    "write_lock",
]
