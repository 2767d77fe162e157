"""Alembic environment: runs on the connection clearreel passes in (see db.init_db)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from clearreel.db import Base
from clearreel.db.models import load_all

load_all()
target_metadata = Base.metadata
config = context.config


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as c:
            context.configure(connection=c, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
