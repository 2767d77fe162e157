"""Curation progress: one row per media file of a dataset build (see `clearreel.curate`).

`CurateMedia.status` goes `pending` -> `analysed` (the per-file analysis, reduced to candidate
clips, is stored in `candidates`) or `quarantined` (with the reason). Every stage commits its
results row by row, so an interrupted `clearreel curate` resumes where it stopped. The
dataset's own records (Dataset, Clip, Exclusion, Quarantine) are in `clearreel.dataset.models`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clearreel.db import Base, TenantMixin, utcnow

# CurateMedia.status
PENDING, ANALYSED, QUARANTINED = "pending", "analysed", "quarantined"


class CurateMedia(TenantMixin, Base):
    """Progress of one media file through the analysis stage of one dataset build."""

    __tablename__ = "curate_media"
    __table_args__ = (
        # Two works may name the same master file: one row for each.
        UniqueConstraint(
            "dataset_pk", "work_id", "media_uri", name="uq_curate_media_dataset_work_uri"
        ),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_pk: Mapped[int] = mapped_column(
        ForeignKey("datasets.pk", ondelete="CASCADE"), index=True
    )
    work_id: Mapped[str] = mapped_column(String(128))
    media_index: Mapped[int] = mapped_column(Integer)  # position in the work's media list
    media_uri: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    sha256: Mapped[str | None] = mapped_column(String(64))
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    frames: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    # Candidate clips found by the analysis (plain JSON, see analyse.ClipAnalysis.to_json)
    candidates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    updated: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


__all__ = ["ANALYSED", "PENDING", "QUARANTINED", "CurateMedia"]
