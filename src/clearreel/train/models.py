"""The model registry's table: every trained model, exclusive to its organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearreel.db import Base, TenantMixin, utcnow


class TrainedModel(TenantMixin, Base):
    """One fine-tuned model: what it was trained from (base hash, dataset manifest hash),
    how (the full `TrainConfig`), and how it went (metrics). Referenced by `name`."""

    __tablename__ = "trained_models"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_trained_models_org_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(32))
    base: Mapped[str] = mapped_column(String(2000))  # "tiny" or the base directory
    base_sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(2000))  # $CLEARREEL_HOME/models/NAME
    mode: Mapped[str] = mapped_column(String(16))  # lora | full
    dataset: Mapped[str | None] = mapped_column(String(200))
    dataset_manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    character: Mapped[str | None] = mapped_column(String(128))  # character adapters
    trigger: Mapped[str | None] = mapped_column(String(128))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # "active" | "suspended": the last recorded answer of `train.suspension` (the live
    # re-check on every generation is what counts; this records transitions for the audit
    # log and `models list`). `status_detail`: the uncleared clips and consents.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    status_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_changed: Mapped[dt.datetime | None] = mapped_column(DateTime)


__all__ = ["TrainedModel"]
