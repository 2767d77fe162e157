"""The catalog document's schema (ARCHITECTURE.md, "Catalog file (contract)"): the pydantic
models of a catalog and the field types they are made of.

Structure and types are checked here, unknown keys are errors (`extra="forbid"`), and each
field type's validator says how to write a value it refuses (an ISO date, an ISO 3166-1
territory, a frame rate, an EIDR id). Reading the file with line numbers is
`catalog_read`; the checks across entries are `catalog_validate`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from clearreel.rights.vocab import is_territory, territory_hint

# --------------------------------------------------------------------------------------
# Field types


def _iso_date(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(v, dt.date) or v is None:
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError as e:
            raise ValueError(f"{v!r} is not a valid ISO 8601 date ({e}); "
                             "write YYYY-MM-DD") from None
    raise ValueError(f"expected an ISO 8601 date (YYYY-MM-DD), got {type(v).__name__} {v!r}")


def _territory(world: bool) -> Any:
    def check(v: str) -> str:
        if is_territory(v, world=world):
            return v
        hint = ""
        if is_territory(v.upper(), world=world):
            hint = f" (write it in upper case: {v.upper()!r})"
        elif v.upper() in ("UK",):
            hint = " (the ISO code of the United Kingdom is 'GB')"
        elif (code := territory_hint(v)) is not None:
            hint = f" (did you mean {code!r}?)"
        allowed = "an ISO 3166-1 alpha-2 code" + (" or WORLD" if world else "")
        raise ValueError(f"unknown territory {v!r}: expected {allowed}{hint}")

    return check


def _all_or_ids(v: Any) -> Any:
    if v is None or v == "all":
        return None
    if isinstance(v, list):
        return v
    raise ValueError(f"expected `all` or a list of ids, got {v!r}")


def _seconds(v: Any) -> Any:
    """A scene time: seconds (YAML reads an unquoted 00:00:04.5 as sexagesimal 4.5 seconds),
    `HH:MM:SS.mmm` / `MM:SS.mmm` / `SS.mmm`; SMPTE `HH:MM:SS:FF` is converted with the work's
    `fps` before validation (`_smpte_scenes`). One parser: `clearreel.util.timecode`."""
    from clearreel.util.timecode import parse_seconds

    return parse_seconds(v)


def _eidr(v: Any) -> Any:
    from clearreel.rights.eidr import parse

    return None if v is None else parse(str(v))


def _fps(v: Any) -> Any:
    from clearreel.util.timecode import rate

    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ValueError(f"expected a frame rate such as 24, 23.976 or 24000/1001, got {v!r}")
    try:
        r = rate(v)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{v!r} is not a frame rate: write 24, 23.976 or 24000/1001") from None
    return str(r)



Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$")]
Date = Annotated[dt.date, BeforeValidator(_iso_date)]
OptDate = Annotated[dt.date | None, BeforeValidator(_iso_date)]
Territory = Annotated[str, AfterValidator(_territory(world=True))]
Country = Annotated[str, AfterValidator(_territory(world=False))]
Scope = Annotated[list[Id] | None, BeforeValidator(_all_or_ids)]
Seconds = Annotated[float, BeforeValidator(_seconds)]
Eidr = Annotated[str | None, BeforeValidator(_eidr)]
Fps = Annotated[str | None, BeforeValidator(_fps)]
Use = Literal["ai_training", "ai_generative_training", "ai_inference", "data_mining",
              "character_generation", "digital_replica", "sublicensing"]
UseValue = Literal["allowed", "notAllowed", "constrained"]

_AUDIO = (".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac", ".opus")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class OrganizationSpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    # The organization's home territory: the default territory of every clearance question.
    home_territory: Country | None = None


class Reference(_Model):
    """A face photo or voice sample used to recognise a performer in footage."""

    kind: Literal["face", "voice"]
    path: str = Field(min_length=1)


def _reference(v: Any) -> Any:
    if isinstance(v, str):
        return {"kind": "voice" if v.lower().endswith(_AUDIO) else "face", "path": v}
    return v


class PartySpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    kind: Literal["company", "person"]
    references: list[Annotated[Reference, BeforeValidator(_reference)]] = []
    # Other names the party goes by: speaker labels and the prompt guard match them too.
    aliases: list[str] = []


class ParticipationSpec(_Model):
    party: Id
    role: Literal["studio", "rights_holder", "director", "writer", "performer", "composer",
                  "producer"]
    character: Id | None = None
    points: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=4)


class SceneSpec(_Model):
    start: Seconds
    end: Seconds
    performers: list[Id] = []
    characters: list[Id] = []
    notes: str | None = None
    # The media file the scene applies to (one of the work's `media`); default: the first.
    media: str | None = None


class SubtitleSpec(_Model):
    """A subtitle file: a bare path, or a mapping naming its encoding and media file."""

    path: str = Field(min_length=1)
    encoding: str | None = None  # e.g. cp1251, latin-1; default: BOM, else UTF-8
    media: str | None = None  # the media file it belongs to (default: the work's first)

    def stored(self) -> str | dict[str, str]:
        """The registry's form: the path alone when nothing else is declared."""
        extra = {k: v for k, v in (("encoding", self.encoding), ("media", self.media)) if v}
        return {"path": self.path, **extra} if extra else self.path


def _subtitle(v: Any) -> Any:
    return {"path": v} if isinstance(v, str) else v


class WorkSpec(_Model):
    id: Id
    title: str = Field(min_length=1)
    kind: Literal["film", "episode", "short", "trailer", "other"]
    year: int | None = Field(default=None, ge=1870, le=2200)
    # EIDR content id (title or edit level), validated with its check character.
    eidr: Eidr = None
    # The rate SMPTE `HH:MM:SS:FF` timecodes of this work count in (24, 23.976, 24000/1001).
    fps: Fps = None
    media: list[str] = []
    subtitles: list[Annotated[SubtitleSpec, BeforeValidator(_subtitle)]] = []
    participations: list[ParticipationSpec] = []
    scenes: list[SceneSpec] = []


class CharacterSpec(_Model):
    id: Id
    name: str = Field(min_length=1)
    owner: Id
    performer: Id | None = None
    # Other names the character goes by (speaker labels in subtitles match name or alias).
    aliases: list[str] = []


class LicenseSpec(_Model):
    id: Id
    licensor: Id
    licensee: Id
    works: Scope
    uses: dict[Use, UseValue] = Field(min_length=1)
    territories: list[Territory] = Field(min_length=1)
    exclude_territories: list[Territory] = []
    start: Date
    end: OptDate = None
    # Exclusivity as a licence states it (EMA Avails `Exclusive`); None: not stated.
    exclusive: bool | None = None


class ConsentSpec(_Model):
    id: Id
    party: Id
    kind: Literal["training", "digital_replica", "likeness", "voice"]
    status: Literal["granted", "refused", "revoked"]
    # A scope list that is absent covers everything (contract rule 4).
    works: Scope = None
    projects: list[str] | None = None
    purposes: list[str] | None = None
    description: str = ""
    signed: Date
    expires: OptDate = None
    revoked: OptDate = None
    evidence: str | None = None


class Catalog(_Model):
    organization: OrganizationSpec
    parties: list[PartySpec] = []
    works: list[WorkSpec] = []
    characters: list[CharacterSpec] = []
    licenses: list[LicenseSpec] = []
    consents: list[ConsentSpec] = []



__all__ = [
    "Catalog", "CharacterSpec", "ConsentSpec", "LicenseSpec", "OrganizationSpec",
    "ParticipationSpec", "PartySpec", "Reference", "SceneSpec", "SubtitleSpec", "WorkSpec",
]
