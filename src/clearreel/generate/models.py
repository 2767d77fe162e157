"""The record of every generation request: what was made (or refused), from what, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearreel.db import Base, TenantMixin, utcnow


class Output(TenantMixin, Base):
    """One generated video, or one blocked request (then `path` is None and `blocked` True).

    `id` is `out-<16 hex>`: the 64 bits the invisible watermark carries (all of them, or the
    first 8 for the small-frame profile), so a stripped copy maps back to this row. Other
    packages reference it by this string id. `fingerprint` is the perceptual fingerprint of
    the delivered frames (`clearreel.attribution.fingerprint`): a watermark found on frames
    that do not match it was transplanted (`verify` says forged).
    """

    __tablename__ = "outputs"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_outputs_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str | None] = mapped_column(String(200))
    dataset_manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    prompt: Mapped[str] = mapped_column(Text)
    project: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(2000))
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the signed mp4
    seed: Mapped[int | None] = mapped_column(Integer)
    # Everything that made it: frames, size, steps, fps, image, watermark scheme and config.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"work": str, "share": str (Decimal)}], summing to exactly 1 (attribution package).
    attribution: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    watermark: Mapped[str | None] = mapped_column(String(32))  # payload, 16 hex digits
    fingerprint: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


__all__ = ["Output"]
