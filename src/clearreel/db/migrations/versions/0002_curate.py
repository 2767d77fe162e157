"""curation: datasets, clips, exclusions, quarantine, per-media progress

Revision ID: 0002_curate
Revises: 0001_rights
Create Date: 2026-11-22 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_curate"
down_revision = "0001_rights"
branch_labels = ("curate",)
depends_on = None


def _org() -> sa.Column:
    return sa.Column("org_id", sa.String(length=64), nullable=False)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_org_id_organizations"),
        ondelete="CASCADE",
    )


def _dataset_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["dataset_pk"],
        ["datasets.pk"],
        name=op.f(f"fk_{table}_dataset_pk_datasets"),
        ondelete="CASCADE",
    )


def _indexes(table: str, *cols: str) -> None:
    with op.batch_alter_table(table, schema=None) as b:
        for c in cols:
            b.create_index(b.f(f"ix_{table}_{c}"), [c], unique=False)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("works", sa.JSON(), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("territory", sa.String(length=8), nullable=True),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("merkle_root", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("completed", sa.DateTime(), nullable=True),
        _org(),
        _org_fk("datasets"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_datasets")),
        sa.UniqueConstraint("id", name=op.f("uq_datasets_id")),
        sa.UniqueConstraint("org_id", "name", name="uq_datasets_org_name"),
    )
    _indexes("datasets", "org_id")

    op.create_table(
        "curate_media",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("dataset_pk", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.String(length=128), nullable=False),
        sa.Column("media_index", sa.Integer(), nullable=False),
        sa.Column("media_uri", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("probe", sa.JSON(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(), nullable=False),
        _org(),
        _org_fk("curate_media"),
        _dataset_fk("curate_media"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_curate_media")),
        sa.UniqueConstraint("dataset_pk", "media_uri", name="uq_curate_media_dataset_uri"),
    )
    _indexes("curate_media", "dataset_pk", "org_id")

    op.create_table(
        "dataset_clips",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("dataset_pk", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.String(length=300), nullable=False),
        sa.Column("work_id", sa.String(length=128), nullable=False),
        sa.Column("media_uri", sa.String(length=2000), nullable=False),
        sa.Column("media_sha256", sa.String(length=64), nullable=True),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("end_frame", sa.Integer(), nullable=False),
        sa.Column("source_fps", sa.Float(), nullable=False),
        sa.Column("fps", sa.Float(), nullable=False),
        sa.Column("start_tc", sa.String(length=32), nullable=False),
        sa.Column("end_tc", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("performers", sa.JSON(), nullable=False),
        sa.Column("characters", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("phash", sa.String(length=64), nullable=True),
        sa.Column("licenses", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _org(),
        _org_fk("dataset_clips"),
        _dataset_fk("dataset_clips"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_dataset_clips")),
        sa.UniqueConstraint("dataset_pk", "clip_id", name="uq_dataset_clips_dataset_clip"),
    )
    _indexes("dataset_clips", "dataset_pk", "org_id", "work_id")

    op.create_table(
        "dataset_exclusions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("dataset_pk", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.String(length=300), nullable=False),
        sa.Column("work_id", sa.String(length=128), nullable=False),
        sa.Column("media_uri", sa.String(length=2000), nullable=False),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("end_frame", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        _org(),
        _org_fk("dataset_exclusions"),
        _dataset_fk("dataset_exclusions"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_dataset_exclusions")),
    )
    _indexes("dataset_exclusions", "dataset_pk", "org_id", "work_id")

    op.create_table(
        "dataset_quarantine",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("dataset_pk", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.String(length=128), nullable=False),
        sa.Column("media_uri", sa.String(length=2000), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _org(),
        _org_fk("dataset_quarantine"),
        _dataset_fk("dataset_quarantine"),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_dataset_quarantine")),
    )
    _indexes("dataset_quarantine", "dataset_pk", "org_id")


def downgrade() -> None:
    for table in (
        "dataset_quarantine",
        "dataset_exclusions",
        "dataset_clips",
        "curate_media",
        "datasets",
    ):
        op.drop_table(table)
