"""The rights registry: who owns what, who licensed what to whom, who consented to what.

Catalog ids (`w-harbor`, `p-ava`, ...) are unique within an organization; every table has a
surrogate integer key `pk` for relations. Lists that the contract allows to be "all"
(`works: all`) are stored as JSON `null` meaning all, or a list of catalog ids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearreel.db import Base, TenantMixin, utcnow
from clearreel.db.orgs import Organization

# Vocabularies (contract). CAWG training-and-data-mining uses plus clearreel's two.
USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining",
        "character_generation", "digital_replica", "sublicensing")
USE_VALUES = ("allowed", "notAllowed", "constrained")
WORK_KINDS = ("film", "episode", "short", "trailer", "other")
PARTY_KINDS = ("company", "person")
ROLES = ("studio", "rights_holder", "director", "writer", "performer", "composer", "producer")
RIGHTS_ROLES = ("studio", "rights_holder")
CONSENT_KINDS = ("training", "digital_replica", "likeness", "voice")
CONSENT_STATUSES = ("granted", "refused", "revoked")


class Party(TenantMixin, Base):
    """A company or a person: rights holder, licensor, performer, crew."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_parties_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    # Face photos / voice samples used to recognise a performer: [{"kind": "face", "path": ...}]
    references: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Other names the party goes by (speaker labels and the prompt guard match them too).
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)


class Work(TenantMixin, Base):
    __tablename__ = "works"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_works_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int | None] = mapped_column(Integer)
    # Resolved paths: a string, or {"path", "encoding"?, "media"?} (rights.presence reads them)
    subtitles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # EIDR content id, canonical "10.5240/XXXX-XXXX-XXXX-XXXX-XXXX-C" (check character valid).
    eidr: Mapped[str | None] = mapped_column(String(34))
    # The rate the work's SMPTE timecodes count in, exact: "24", "24000/1001", "25".
    fps: Mapped[str | None] = mapped_column(String(16))

    media: Mapped[list[MediaAsset]] = relationship(
        back_populates="work", cascade="all, delete-orphan", order_by="MediaAsset.pk")
    participations: Mapped[list[Participation]] = relationship(
        back_populates="work", cascade="all, delete-orphan", order_by="Participation.pk")
    scenes: Mapped[list[Scene]] = relationship(back_populates="work", cascade="all, delete-orphan",
                                               order_by="Scene.start_ms")


class MediaAsset(TenantMixin, Base):
    """One media file of a work, with what probing found (filled in by curation)."""

    __tablename__ = "media_assets"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), index=True)
    uri: Mapped[str] = mapped_column(String(2000))  # absolute path, file://, s3://
    sha256: Mapped[str | None] = mapped_column(String(64))
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # "ok" | "quarantined" | None (not probed yet)
    status: Mapped[str | None] = mapped_column(String(16))
    quarantine_reason: Mapped[str | None] = mapped_column(Text)

    work: Mapped[Work] = relationship(back_populates="media")


class Participation(TenantMixin, Base):
    __tablename__ = "participations"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), index=True)
    party_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    character_id: Mapped[str | None] = mapped_column(String(128))
    # Points: the participant's share of what the work earns (royalty ledger). Exact.
    points: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))

    work: Mapped[Work] = relationship(back_populates="participations")


class Scene(TenantMixin, Base):
    """Who is on screen when (a shot list or continuity note)."""

    __tablename__ = "scenes"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    performers: Mapped[list[str]] = mapped_column(JSON, default=list)
    characters: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    # The media URI the scene applies to; None: the work's first media file.
    media: Mapped[str | None] = mapped_column(String(2000))

    work: Mapped[Work] = relationship(back_populates="scenes")


class Character(TenantMixin, Base):
    __tablename__ = "characters"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_characters_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[str] = mapped_column(String(128))
    performer_id: Mapped[str | None] = mapped_column(String(128))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)


class License(TenantMixin, Base):
    __tablename__ = "licenses"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_licenses_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(128))
    licensor_id: Mapped[str] = mapped_column(String(128))
    licensee: Mapped[str] = mapped_column(String(128))
    works: Mapped[list[str] | None] = mapped_column(JSON)  # None: all works
    territories: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude_territories: Mapped[list[str]] = mapped_column(JSON, default=list)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)  # None: open-ended
    exclusive: Mapped[bool | None] = mapped_column(Boolean)  # EMA Avails `Exclusive`; None: unsaid

    grants: Mapped[list[Grant]] = relationship(
        back_populates="license", cascade="all, delete-orphan", order_by="Grant.use")


class Grant(TenantMixin, Base):
    """One use granted (or forbidden) by a licence: the per-use terms."""

    __tablename__ = "license_grants"
    __table_args__ = (UniqueConstraint("license_pk", "use", name="uq_license_grants_license_use"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    license_pk: Mapped[int] = mapped_column(ForeignKey("licenses.pk", ondelete="CASCADE"),
                                            index=True)
    use: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(16))  # allowed | notAllowed | constrained

    license: Mapped[License] = relationship(back_populates="grants")


class Consent(TenantMixin, Base):
    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("org_id", "id", name="uq_consents_org_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(128))
    party_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    works: Mapped[list[str] | None] = mapped_column(JSON)  # None: all
    projects: Mapped[list[str] | None] = mapped_column(JSON)  # None: all
    purposes: Mapped[list[str] | None] = mapped_column(JSON)  # None: all
    description: Mapped[str] = mapped_column(Text, default="")
    signed: Mapped[dt.date] = mapped_column(Date)
    expires: Mapped[dt.date | None] = mapped_column(Date)
    revoked: Mapped[dt.date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)  # a document URI or hash


class Reservation(TenantMixin, Base):
    """A machine-readable rights reservation found in a media file (IPTC, CAWG/C2PA, TDMRep).

    It wins over any licence: a `notAllowed` here denies the use for the whole work.
    """

    __tablename__ = "reservations"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_pk: Mapped[int] = mapped_column(ForeignKey("works.pk", ondelete="CASCADE"), index=True)
    media_pk: Mapped[int | None] = mapped_column(ForeignKey("media_assets.pk", ondelete="CASCADE"))
    use: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(16))
    # iptc:plus:DataMining | tdmrep:reservation | cawg.training-mining | c2pa.training-mining
    source: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str | None] = mapped_column(Text)
    found: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(TenantMixin, Base):
    """One entry of the append-only, hash-chained audit log (see rights.audit)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("org_id", "seq", name="uq_audit_log_org_seq"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Setting(TenantMixin, Base):
    """Studio settings stored in the registry (e.g. consent mode), keyed by name."""

    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_settings_org_key"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)


class ReferenceEmbedding(TenantMixin, Base):
    """A party's face reference as recognition reads it: computed once, at catalog import, and
    kept with the photo's SHA-256 (an unchanged photo is never embedded again; a changed one
    is). See `clearreel.rights.likeness`."""

    __tablename__ = "reference_embeddings"
    __table_args__ = (UniqueConstraint("org_id", "party_id", "path", "model",
                                       name="uq_reference_embeddings_org_party_path_model"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # face (voice: later)
    path: Mapped[str] = mapped_column(String(2000))  # as the registry stores the reference
    sha256: Mapped[str] = mapped_column(String(64))  # of the photo's bytes when embedded
    model: Mapped[str] = mapped_column(String(64))  # which embedder (dlib_resnet_v1)
    embedding: Mapped[list[float]] = mapped_column(JSON)  # (128,) floats
    box: Mapped[list[int]] = mapped_column(JSON)  # (x, y, w, h) of the face, photo pixels
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ------------------------------------------------------------------------- registry version

REGISTRY_VERSION_KEY = "registry.version"
# Every row clearance reads (and the face references): a write to any of them is a new
# registry version. The audit log is not (a `rights check` writes an entry and changes none).
_VERSIONED = (Organization, Party, Work, MediaAsset, Participation, Scene, Character, License,
              Grant, Consent, Reservation, Setting, ReferenceEmbedding)


def registry_version(session: Any) -> str | None:
    """A token that changes with every committed write to the organization's registry (in
    any process: it is stored in the registry, `settings` key `registry.version`); None
    before the first. A cache of anything computed from the registry (the web studio's
    clearance matrix) is keyed by it: read it before reading what it versions."""
    from sqlalchemy import select

    return session.scalar(select(Setting.value).where(Setting.key == REGISTRY_VERSION_KEY))


def _bump(conn: Any, org: str) -> None:
    import uuid

    token = uuid.uuid4().hex
    table = Setting.__table__
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(table).values(org_id=org, key=REGISTRY_VERSION_KEY, value=token)
        conn.execute(stmt.on_conflict_do_update(index_elements=["org_id", "key"],
                                                set_={"value": stmt.excluded.value}))
        return
    from sqlalchemy import insert as core_insert
    from sqlalchemy import update

    done = conn.execute(update(table).where(table.c.org_id == org,
                                            table.c.key == REGISTRY_VERSION_KEY)
                        .values(value=token))
    if not done.rowcount:
        conn.execute(core_insert(table).values(org_id=org, key=REGISTRY_VERSION_KEY,
                                               value=token))


def _after_flush(session: Any, _ctx: Any) -> None:
    """A new registry version for each organization whose registry rows this flush wrote
    (in the flush's own transaction: a rolled-back write leaves the version as it was)."""
    orgs: set[str] = set()
    gone = {o.id for o in session.deleted if isinstance(o, Organization)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, _VERSIONED):
            continue
        if isinstance(obj, Setting) and obj.key == REGISTRY_VERSION_KEY:
            continue
        org = obj.id if isinstance(obj, Organization) else obj.org_id
        if org and org not in gone:
            orgs.add(org)
    for org in sorted(orgs):
        _bump(session.connection(), org)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


_listen()


__all__ = [
    "CONSENT_KINDS", "CONSENT_STATUSES", "PARTY_KINDS", "REGISTRY_VERSION_KEY", "RIGHTS_ROLES",
    "ROLES", "USES", "USE_VALUES", "WORK_KINDS", "AuditEntry", "Character", "Consent", "Grant",
    "License", "MediaAsset", "Organization", "Participation", "Party", "ReferenceEmbedding",
    "Reservation", "Scene", "Setting", "Work", "registry_version",
]
