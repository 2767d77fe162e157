"""Dataset records: a dataset, the clips admitted to it, what was left out and why.

Curation (`clearreel.curate`) creates and fills these rows stage by stage; `load`, `verify`,
`show` and `delete` read them. Rows reference works by their catalog id (string); the only
foreign keys are to this module's own `datasets` table.

- `Dataset`: its configuration, build stage and, once built, its signed manifest.
- `Clip`: one row per admitted clip, created by the planning step with `status = "pending"`,
  then `written` once its mp4 is cut and hashed.
- `Exclusion`: one row per candidate clip that did not get in, with machine-readable reasons
  (score filters, near-duplicates, clearance denials, cut failures).
- `Quarantine`: media files that could not be opened or decoded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearreel.db import Base, TenantMixin, utcnow

# Dataset.status
BUILDING, READY = "building", "ready"
# Dataset.stage: how far a build has come (resumption starts from here)
STAGES = ("analyse", "plan", "cut", "pack", "done")
# Clip.status
PENDING, WRITTEN = "pending", "written"


class Dataset(TenantMixin, Base):
    """A curated training dataset: its configuration and, once built, its signed manifest."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_datasets_org_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)  # "ds-" + 16 hex, stable for its life
    name: Mapped[str] = mapped_column(String(128))
    # Everything that determines the result: CurateConfig fields, works, on, territory.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    works: Mapped[list[str] | None] = mapped_column(JSON)  # None: every work of the organization
    on: Mapped[dt.date] = mapped_column(Date)  # the clearance date asked about
    territory: Mapped[str | None] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(32), default="local")
    status: Mapped[str] = mapped_column(String(16), default=BUILDING)
    stage: Mapped[str] = mapped_column(String(16), default="analyse")
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    merkle_root: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    completed: Mapped[dt.datetime | None] = mapped_column(DateTime)

    clips: Mapped[list[Clip]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="Clip.clip_id"
    )


class Clip(TenantMixin, Base):
    """One clip admitted to a dataset: where it came from, what is in it, who cleared it."""

    __tablename__ = "dataset_clips"
    __table_args__ = (
        UniqueConstraint("dataset_pk", "clip_id", name="uq_dataset_clips_dataset_clip"),
        Index("ix_dataset_clips_org_dataset_clip", "org_id", "dataset_pk", "clip_id"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    clip_id: Mapped[str] = mapped_column(String(300))  # also the WebDataset key (no dots)
    work_id: Mapped[str] = mapped_column(String(128), index=True)
    media_uri: Mapped[str] = mapped_column(String(2000))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    # Source frame range, inclusive: indices of decoded frames in presentation order.
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int] = mapped_column(Integer)
    # Presentation times in seconds: the first frame's, and the end of the last frame (None
    # for clips planned before times were recorded: then frames / `source_fps`).
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    source_fps: Mapped[float] = mapped_column(Float)
    fps: Mapped[float] = mapped_column(Float)  # the clip file's (training) frame rate
    start_tc: Mapped[str] = mapped_column(String(32))  # SMPTE-style HH:MM:SS:FF of start_frame
    end_tc: Mapped[str] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(String(1000))  # relative to the dataset directory
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the clip's mp4, once written
    caption: Mapped[str] = mapped_column(Text, default="")
    performers: Mapped[list[str]] = mapped_column(JSON, default=list)
    characters: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Face recognition evidence: party -> {"frame" (source frame), "distance", "stills"}
    faces: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Speaker evidence: party -> {"start_s", "end_s", "similarity", "segments"}
    voices: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    phash: Mapped[str | None] = mapped_column(String(64))
    # What cleared it: the licence and consent ids named by the allowing decision.
    licenses: Mapped[list[str]] = mapped_column(JSON, default=list)
    consents: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)

    dataset: Mapped[Dataset] = relationship(back_populates="clips")

    @property
    def cleared_by(self) -> dict[str, list[str]]:
        return {"licenses": list(self.licenses), "consents": list(self.consents)}


class Exclusion(TenantMixin, Base):
    """A candidate clip left out of a dataset, with every reason (filters, dedup, clearance)."""

    __tablename__ = "dataset_exclusions"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    clip_id: Mapped[str] = mapped_column(String(300))  # the candidate's id, as it would have been
    work_id: Mapped[str] = mapped_column(String(128), index=True)
    media_uri: Mapped[str] = mapped_column(String(2000))
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))  # filter | clearance | dedup
    # [{"code": str, "detail": str, "license"?, "consent"?, "party"?, "of"?}]
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Quarantine(TenantMixin, Base):
    """A media file that could not be opened or decoded: kept out, with the reason."""

    __tablename__ = "dataset_quarantine"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    work_id: Mapped[str] = mapped_column(String(128))
    media_uri: Mapped[str] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


__all__ = [
    "BUILDING",
    "PENDING",
    "READY",
    "STAGES",
    "WRITTEN",
    "Clip",
    "Dataset",
    "Exclusion",
    "Quarantine",
]
