"""row-level security on every tenant table (PostgreSQL only)

Revision ID: 0151_row_level_security
Revises: 0150_org_workspace

See clearreel.db.rls: FORCE ROW LEVEL SECURITY and a policy on the organization column of
every table that has one, read from the role mapping `clearreel_db_roles`. `clearreel init`
applies the same function after every upgrade, so tables added later are covered too.
SQLite has no roles: nothing to do.
"""

from alembic import op

revision = "0151_row_level_security"
down_revision = "0150_org_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from clearreel.db.rls import apply_rls

    apply_rls(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    from clearreel.db.rls import POLICY, ROLES_TABLE, tenant_tables

    for table, _ in tenant_tables(bind):
        op.execute(text(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"'))
        op.execute(text(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY'))
        op.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))
    op.execute(text(f'DROP TABLE IF EXISTS "{ROLES_TABLE}"'))
