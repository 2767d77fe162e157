"""Machine-readable rights reservations embedded in media files.

Three sources are read, offline:

- IPTC `plus:DataMining` (IPTC Photo Metadata Standard 2023.1, PLUS LDF vocabulary
  http://ns.useplus.org/ldf/vocab/DMI-...) in an XMP packet anywhere in the file: MP4/MOV
  carry XMP in a top-level `uuid` box (XMP Specification Part 3, §1.2.7), other containers
  elsewhere; scanning the bytes for the packet finds all of them.
- W3C TDMRep `tdm:reservation` in the same XMP packet (TDMRep Final CG Report, §"XMP").
- CAWG `cawg.training-mining` (CAWG 1.1) and C2PA 1.x `c2pa.training-mining` assertions of
  a C2PA manifest, read with c2pa-python's `Reader` (no network: remote manifests are not
  fetched).

Each is returned as a `FoundReservation(use, value, source, raw)`. Only `notAllowed` and
`constrained` restrict a use (clearance rule 2); `allowed` is recorded for the record but
grants nothing: only a licence grants.
"""

from __future__ import annotations

import json
import mmap
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearreel.rights.vocab import (
    PLUS_DATA_MINING,
    PLUS_NS,
    PLUS_VOCAB,
    TDM_USES,
    TDMREP_NS,
    TRAINING_MINING_LABELS,
    training_mining_use,
)

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# The UUID of the MP4 box that carries XMP (XMP Specification Part 3, §1.2.7.1).
XMP_UUID = uuid.UUID("be7acfcb-97a9-42e8-9c71-999491e3afac")
_MAX_PACKET = 4 << 20  # an XMP packet larger than 4 MiB is not a packet we can trust to parse


@dataclass(frozen=True)
class FoundReservation:
    use: str     # one of vocab.TDM_USES
    value: str   # allowed | notAllowed | constrained
    # iptc:plus:DataMining | tdmrep:reservation | cawg.training-mining | c2pa.training-mining
    source: str
    raw: str     # the value as written in the file (a PLUS URI, "1", the assertion entry JSON)


def read_reservations(path: str | Path) -> list[FoundReservation]:
    """Every reservation found in the media file at `path` (XMP and C2PA), deduplicated."""
    path = Path(path)
    found: list[FoundReservation] = []
    for packet in xmp_packets(path):
        found += _from_xmp(packet)
    found += _from_c2pa(path)
    seen: set[FoundReservation] = set()
    out = []
    for f in found:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


# ----------------------------------------------------------------------------- XMP


def sync_reservations(session: Any, work_pk: int, media_pk: int,
                      found: list[FoundReservation]) -> int:
    """Make the `Reservation` rows of one media file what was found in it now: rows still
    found are kept as they are, others deleted, new ones added. Called by `catalog import`,
    `rights scan` and every probe of curation, so a file replaced after import is judged as
    it is now. Returns the number found."""
    from sqlalchemy import select

    from clearreel.rights.models import Reservation

    want = {(f.use, f.value, f.source, f.raw) for f in found}
    for row in list(session.scalars(select(Reservation).where(Reservation.media_pk == media_pk))):
        k = (row.use, row.value, row.source, row.raw)
        if k in want:
            want.discard(k)
        else:
            session.delete(row)
    for use, value, source, raw in sorted(want, key=lambda t: (t[0], t[2], t[1])):
        session.add(Reservation(work_pk=work_pk, media_pk=media_pk, use=use, value=value,
                                source=source, raw=raw))
    return len(found)


def xmp_packets(path: Path) -> list[bytes]:
    """Every `<x:xmpmeta>` element in the file's bytes (memory-mapped, so large files are
    scanned without being read into memory)."""
    out: list[bytes] = []
    size = path.stat().st_size
    if size == 0:
        return out
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        pos = 0
        while True:
            start = mm.find(b"<x:xmpmeta", pos)
            if start < 0:
                break
            end = mm.find(b"</x:xmpmeta>", start, start + _MAX_PACKET)
            if end < 0:
                break
            end += len(b"</x:xmpmeta>")
            out.append(bytes(mm[start:end]))
            pos = end
    return out


def _from_xmp(packet: bytes) -> list[FoundReservation]:
    try:
        root = ET.fromstring(packet)
    except ET.ParseError:
        return []
    out: list[FoundReservation] = []
    for desc in root.iter(f"{{{RDF_NS}}}Description"):
        for value in _xmp_values(desc, f"{{{PLUS_NS}}}DataMining"):
            code = value.removeprefix(PLUS_VOCAB).strip()
            for use, v in PLUS_DATA_MINING.get(code, {}).items():
                out.append(FoundReservation(use, v, "iptc:plus:DataMining", value))
        for value in _xmp_values(desc, f"{{{TDMREP_NS}}}reservation"):
            if value.strip() == "1":
                for use in TDM_USES:
                    out.append(FoundReservation(use, "notAllowed", "tdmrep:reservation", value))
    return out


def _xmp_values(desc: ET.Element, name: str) -> list[str]:
    """A simple XMP property in either serialization: an attribute of rdf:Description, or a
    child element with text or an rdf:resource (PLUS values are often written as URIs)."""
    vals = []
    if name in desc.attrib:
        vals.append(desc.attrib[name])
    for child in desc.findall(name):
        res = child.attrib.get(f"{{{RDF_NS}}}resource")
        if res:
            vals.append(res)
        elif child.text and child.text.strip():
            vals.append(child.text.strip())
    return vals


def make_xmp_packet(*, data_mining: str | None = None,
                    tdm_reservation: bool | None = None) -> bytes:
    """An XMP packet carrying IPTC `plus:DataMining` (a PLUS code such as
    `DMI-PROHIBITED-AIMLTRAINING` or its full URI) and/or TDMRep `tdm:reservation`."""
    attrs = ""
    if data_mining is not None:
        uri = data_mining if data_mining.startswith("http") else PLUS_VOCAB + data_mining
        attrs += f'\n    plus:DataMining="{uri}"'
    if tdm_reservation is not None:
        attrs += f'\n    tdm:reservation="{int(tdm_reservation)}"'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{RDF_NS}">\n'
        f'  <rdf:Description rdf:about="" xmlns:plus="{PLUS_NS}" xmlns:tdm="{TDMREP_NS}"{attrs}/>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode()


def append_xmp_box(path: str | Path, packet: bytes) -> None:
    """Append a top-level XMP `uuid` box to an MP4/MOV file (where Adobe and exiftool write
    it). Players skip unknown top-level boxes, so the file still decodes."""
    body = XMP_UUID.bytes + packet
    with Path(path).open("ab") as f:
        f.write((8 + len(body)).to_bytes(4, "big") + b"uuid" + body)


# ----------------------------------------------------------------------------- C2PA


def _from_c2pa(path: Path) -> list[FoundReservation]:
    try:
        import c2pa
    except ImportError:  # c2pa-python is a dependency; without it only XMP is read
        return []
    try:
        with c2pa.Reader(str(path)) as reader:
            store = json.loads(reader.json())
    except Exception:  # no manifest, or a format c2pa does not read: nothing reserved there
        return []
    out: list[FoundReservation] = []
    # Every manifest in the store (the active one and its ingredients'): a reservation made
    # on source material still binds the material.
    for manifest in (store.get("manifests") or {}).values():
        for a in manifest.get("assertions") or []:
            label = str(a.get("label", ""))
            base = label.split(".v")[0] if ".v" in label else label
            if base not in TRAINING_MINING_LABELS:
                continue
            entries = (a.get("data") or {}).get("entries") or {}
            for key, entry in entries.items():
                use = training_mining_use(key)
                value = (entry or {}).get("use")
                if use and value in ("allowed", "notAllowed", "constrained"):
                    raw = json.dumps({key: entry}, sort_keys=True)
                    out.append(FoundReservation(use, value, base, raw))
    return out


__all__ = ["FoundReservation", "append_xmp_box", "make_xmp_packet", "read_reservations",
           "xmp_packets"]
