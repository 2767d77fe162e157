"""`generate`: guard → likeness (storyboard) → frames → likeness (output) → copy guard →
watermark → mp4 → C2PA → record → attribution.

Nothing is written to `outputs/` unless every check before it passed; every request, made or
refused, leaves an `Output` row and audit entries (`generate.guard`, `generate.request`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from clearreel.config import Settings
from clearreel.errors import UsageError

MAX_SECONDS = 60.0


@dataclass(frozen=True)
class Request:
    """What was asked: saved with the output (`Output.params`)."""

    model: str
    prompt: str
    project: str | None = None
    purpose: str | None = None
    seed: int = 0
    frames: int | None = None  # per generated segment; None: the model's default
    height: int | None = None
    width: int | None = None
    steps: int | None = None
    image: str | None = None  # a storyboard frame (PNG) for image-to-video
    seconds: float | None = None  # chain segments up to this length (at most 60 s)
    on: dt.date | None = None
    territory: str | None = None

    def validate(self) -> None:
        if not self.prompt.strip():
            raise UsageError("the prompt is empty: describe the shot to generate")
        for name in ("frames", "height", "width", "steps"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise UsageError(f"--{name} must be a positive integer, got {v}")
        if self.seconds is not None and not 0 < self.seconds <= MAX_SECONDS:
            raise UsageError(f"--seconds must be in (0, {MAX_SECONDS:g}], got {self.seconds}")
        if self.image is not None and not Path(self.image).is_file():
            raise UsageError(f"--image {self.image}: no such file (give a PNG storyboard frame)")


@dataclass
class ModelInfo:
    name: str
    dataset: str | None
    dataset_manifest_sha256: str | None
    character: str | None = None  # a character adapter depicts this character in every output
    fps: float | None = None  # the model's frame rate, when the registry says
    org: str | None = None  # the organization that owns the model (and signs its outputs)


def _result(output_id: str, path: str | None, blocked: bool, reasons: list[dict[str, Any]],
            attribution: list[dict[str, str]]) -> dict[str, Any]:
    return {"output": output_id, "path": path, "blocked": blocked, "reasons": reasons,
            "attribution": attribution}


def model_info(settings: Settings, model: str) -> ModelInfo:
    """The registered model (train.registry); UsageError when unknown."""
    from clearreel.diffusion import get_family
    from clearreel.train.registry import get_model

    rec = get_model(settings, model)
    fps = (rec.metrics or {}).get("fps")
    if fps is None:
        fps = get_family(rec.family).fps  # UsageError naming the known families
    return ModelInfo(rec.name, rec.dataset, rec.dataset_manifest_sha256, rec.character,
                     float(fps), rec.org)


def _record(settings: Settings, output_id: str, req: Request, info: ModelInfo, *,
            blocked: bool, reasons: list[dict[str, Any]], path: Path | None = None,
            sha256: str | None = None, attribution: list[dict[str, str]] | None = None,
            params: dict[str, Any] | None = None,
            fingerprint: dict[str, Any] | None = None) -> None:
    from clearreel.db import open_session
    from clearreel.generate.models import Output
    from clearreel.provenance import watermark as wm
    from clearreel.rights import audit

    with open_session(settings) as s:
        s.add(Output(id=output_id, model=info.name, dataset=info.dataset,
                     dataset_manifest_sha256=info.dataset_manifest_sha256, prompt=req.prompt,
                     project=req.project, purpose=req.purpose,
                     path=str(path) if path else None, sha256=sha256, seed=req.seed,
                     params={**asdict(req), "on": req.on.isoformat() if req.on else None,
                             **(params or {})}, attribution=attribution or [],
                     watermark=None if blocked else f"{wm.payload_from_output_id(output_id):016x}",
                     fingerprint=fingerprint, blocked=blocked, reasons=reasons))
        audit.record(s, "generate.request", output_id, model=info.name, prompt=req.prompt,
                     project=req.project, purpose=req.purpose, blocked=blocked,
                     reasons=[r.get("code") for r in reasons], path=str(path) if path else None,
                     sha256=sha256)


def guard(settings: Settings, req: Request,
          info: ModelInfo | None = None) -> tuple[bool, list[dict[str, Any]]]:
    """Run the prompt guard (audited); (allowed, reasons as JSON). See `guard_report`."""
    report = guard_report(settings, req, info)
    return report["allowed"], report["reasons"]


def guard_report(settings: Settings, req: Request,
                 info: ModelInfo | None = None) -> dict[str, Any]:
    """The prompt guard's report (audited as `generate.guard`): `allowed`, `reasons`, the
    names it found (`matches`), and `depicted`: per person or character named, the prompt's
    words that named it (name, alias, given name or surname) and the consents and licences
    that allowed (`allowed_by`) or refused (`denied_by`) it. The generation JSON carries it
    as `guard`; the web studio's generate page shows it.

    Anything made must clear today: `--on DATE` only adds a second date on which the request
    must also clear (ARCHITECTURE.md, "Clearance rules"), so the guard asks for both."""
    from clearreel.db import open_session
    from clearreel.generate.guard import check_prompt

    allowed, reasons, matches = True, [], []
    cast: dict[str, list[str]] = {}
    denylisted: list[str] = []
    for day in _dates(req.on):
        with open_session(settings) as s:
            d = check_prompt(s, req.prompt, project=req.project, purpose=req.purpose, on=day,
                             territory=req.territory, home=settings.home,
                             characters=[info.character] if info and info.character else ())
        allowed = allowed and d.allowed
        for r in d.reasons:
            if (j := r.to_json()) not in reasons:
                reasons.append(j)
        q = d.question
        matches += [m for m in q.get("matches", []) if m not in matches]
        for c, who in (q.get("cast") or {}).items():
            cast[c] = list(dict.fromkeys([*cast.get(c, []), *who]))
        denylisted += [n for n in q.get("denylisted", []) if n not in denylisted]
    return {"allowed": allowed, "reasons": reasons, "matches": matches, "cast": cast,
            "denylisted": denylisted, "depicted": _depicted(matches, reasons, cast, info)}


def _depicted(matches: list[dict[str, Any]], reasons: list[dict[str, Any]],
              cast: dict[str, list[str]], info: ModelInfo | None) -> list[dict[str, Any]]:
    """The guard's reasons regrouped per depicted person or character (no rule here: the
    reasons are the clearance engine's, which names the party and character each concerns)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for m in matches:
        e = out.setdefault((m["kind"], m["id"]), {"kind": m["kind"], "id": m["id"],
                                                  "named_by": [], "played_by": []})
        e["named_by"].append({k: m[k] for k in ("text", "name", "form", "common")})
    if info and info.character and ("character", info.character) not in out:
        out[("character", info.character)] = {
            "kind": "character", "id": info.character, "played_by": [],
            "named_by": [{"text": None, "name": None, "form": "model", "common": False}]}
    for (kind, id_), e in out.items():
        if kind == "character":
            e["played_by"] = cast.get(id_, [])
            mine = [r for r in reasons if r.get("character") == id_]
        else:
            mine = [r for r in reasons if r.get("party") == id_ and not r.get("character")]
        mine = [r for r in mine if not r["code"].startswith("prompt.")]
        e["allowed_by"] = [r for r in mine if r.get("effect") == "allow"]
        e["denied_by"] = [r for r in mine if r.get("effect") == "deny"]
    return list(out.values())


def _dates(on: dt.date | None) -> list[dt.date]:
    today = dt.date.today()
    return [today] if on is None or on == today else [today, on]


def suspension(settings: Settings, req: Request, info: ModelInfo) -> dict[str, Any] | None:
    """The denial when the model is suspended (its dataset no longer clears today, or on
    `--on`), recorded on the model and in the audit log; None when it may generate."""
    from clearreel.db import open_session
    from clearreel.train.models import TrainedModel
    from clearreel.train.suspension import model_status, record

    if info.dataset is None:
        return None
    with open_session(settings) as s:
        from sqlalchemy import select

        row = s.scalars(select(TrainedModel).where(TrainedModel.name == info.name)).one()
        st = model_status(s, row, on=_dates(req.on), territory=req.territory)
        record(s, row, st, cause="generate")
    return st.reason() if st.suspended else None


def require_attribution(settings: Settings, info: ModelInfo) -> None:
    """The copy guard and attribution never switch off silently: a model trained on a
    dataset needs that dataset's attribution index before anything is generated."""
    if info.dataset is None:
        return
    from clearreel.attribution.service import load_clipset, open_index

    open_index(load_clipset(settings, info.dataset))  # UsageError saying how to build it


def deliver(settings: Settings, output_id: str, frames: np.ndarray, fps: float, req: Request,
            info: ModelInfo, out: Path | None = None,
            storyboard: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything after the frames exist: likeness guard, copy guard, watermark, mp4, C2PA,
    record, attribution. `storyboard`: the input guard's report, kept with the output's."""
    from clearreel.provenance import watermark as wm
    from clearreel.provenance.c2pa_sign import sign_video

    dest = _destination(settings, output_id, out)
    params: dict[str, Any] = {"fps": fps, "shape": list(frames.shape),
                              "watermark": {"scheme": wm.SCHEME}}
    # The likeness guard on the output's frames (rule 4), before anything is watermarked or
    # encoded: a blocked output is never written.
    from clearreel.generate.likeness import check_output

    seen = check_output(settings, frames, project=req.project, purpose=req.purpose, on=req.on,
                        territory=req.territory, subject=output_id)
    likeness = params["likeness"] = {**seen.to_json(), "storyboard": storyboard}
    if not seen.allowed:
        _record(settings, output_id, req, info, blocked=True, reasons=seen.denials, params=params)
        return {**_result(output_id, None, True, seen.denials, []), "likeness": likeness}
    shares: list[dict[str, str]] = []
    if info.dataset is not None:
        # The copy guard and attribution from one fingerprint and one search of the frames.
        from clearreel.attribution import assess

        found = assess(settings, frames, info.dataset, fps=fps, subject=output_id)
        shares = [{"work": str(a["work"]), "share": str(Decimal(str(a["share"])))}
                  for a in found.attribution]
        if found.unattributed is not None:  # its revenue goes to the unattributed pool
            params["unattributed"] = found.unattributed
        hit = found.copy
        if hit is not None:
            reasons = [{"code": "output.regurgitation", "license": None, "consent": None,
                        "party": None, "effect": "deny", "clip": hit.clip, "work": hit.work,
                        "score": round(float(hit.score), 4), "detail": (
                            f"the output copies training clip {hit.clip} of {hit.work} "
                            f"(frames {hit.start_frame}-{hit.end_frame}, score {hit.score:.3f})")}]
            _record(settings, output_id, req, info, blocked=True, reasons=reasons, params=params)
            return {**_result(output_id, None, True, reasons, []), "likeness": likeness}
    marking = _marking(settings, info)
    marked = wm.embed_id(frames, output_id, marking)
    params["watermark"]["profile"] = wm.profile_for(*frames.shape[1:3]).name
    dest.parent.mkdir(parents=True, exist_ok=True)
    from clearreel.attribution.fingerprint import compute as fingerprint

    # Nothing is left half made: the signed file appears at `dest` only with its record and
    # audit entry (a failure to record removes it again), never an mp4 without its record.
    if dest.exists():
        raise UsageError(f"{dest} exists: outputs are never overwritten; give another -o")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        plain, signed = Path(tmp) / "unsigned.mp4", Path(tmp) / "signed.mp4"
        params["watermark"].update(_encode_readable(marked, fps, plain, output_id, marking))
        sign_video(settings, plain, signed, output_id=output_id, model=info.name,
                   dataset=info.dataset, dataset_manifest_sha256=info.dataset_manifest_sha256,
                   org=info.org)
        sha = hashlib.sha256(signed.read_bytes()).hexdigest()
        mark = fingerprint(marked, fps)
        os.replace(signed, dest)
    try:
        _record(settings, output_id, req, info, blocked=False, reasons=[], path=dest.resolve(),
                sha256=sha, attribution=shares, params=params, fingerprint=mark)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return {**_result(output_id, str(dest.resolve()), False, [], shares), "likeness": likeness,
            "unattributed": params.get("unattributed")}


def _destination(settings: Settings, output_id: str, out: Path | None) -> Path:
    if out is None:
        from clearreel.db import resolve_org

        out = settings.outputs_dir(resolve_org(settings)) / f"{output_id}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
    dest = Path(out)
    if dest.suffix.lower() != ".mp4":
        raise UsageError(f"-o {dest}: outputs are mp4 files; use a .mp4 name")
    return dest


# H.264 quality ladder for the delivered file: visually transparent first, then finer until
# the watermark reads back from the encoded file (very small frames, e.g. the 48x32 `tiny`
# model, need it; CRF 0 is lossless in luma).
CRF_LADDER = (17, 10, 0)


def _marking(settings: Settings, info: ModelInfo) -> Any:
    """The watermark config keyed with the organization's secret (made on first use)."""
    from clearreel.db import resolve_org
    from clearreel.provenance import watermark as wm
    from clearreel.provenance.keys import watermark_key

    return dataclasses.replace(wm.DEFAULT, key=watermark_key(settings,
                                                             info.org or resolve_org(settings)))


def _encode_readable(marked: np.ndarray, fps: float, path: Path, output_id: str,
                     marking: Any) -> dict[str, Any]:
    """Encode, then check the watermark survives our own encode; returns what was used."""
    from clearreel.media import read_frames, write_video
    from clearreel.provenance import watermark as wm

    for crf in CRF_LADDER:
        write_video(path, marked, fps, crf=crf, preset="medium")
        back, _ = read_frames(path)
        if wm.carries(wm.extract(back, dataclasses.replace(marking, search=False)), output_id):
            return {"crf": crf, "readable": True}
    return {"crf": CRF_LADDER[-1], "readable": False}


FramesFn = Callable[..., tuple[np.ndarray, float]]


def _frames(settings: Settings, req: Request, generate_frames: FramesFn,
            info: ModelInfo) -> tuple[np.ndarray, float]:
    """One generation, or a shot of --seconds.

    When the model's frame rate is known and no segment length is forced (--frames), the
    model side is asked for the whole length at once (it chains its own segments, with latent
    conditioning). Otherwise segments are chained here through image-to-video, each starting
    from the previous segment's last frame.
    """
    kwargs: dict[str, Any] = {"seed": req.seed}
    for name, key in (("frames", "num_frames"), ("height", "height"), ("width", "width"),
                      ("steps", "steps")):
        if getattr(req, name) is not None:
            kwargs[key] = getattr(req, name)
    if req.seconds is not None and req.frames is None and info.fps:
        kwargs["num_frames"] = math.ceil(req.seconds * info.fps)
        return generate_frames(settings, req.model, req.prompt, image=req.image, **kwargs)
    frames, fps = generate_frames(settings, req.model, req.prompt, image=req.image, **kwargs)
    if req.seconds is None:
        return frames, fps
    want = math.ceil(req.seconds * fps)
    parts = [frames]
    with tempfile.TemporaryDirectory() as tmp:
        n = 0
        while sum(len(p) for p in parts) - (len(parts) - 1) < want:
            from PIL import Image

            n += 1
            still = Path(tmp) / f"seg{n}.png"
            Image.fromarray(parts[-1][-1]).save(still)
            kwargs["seed"] = req.seed + n
            nxt, _ = generate_frames(settings, req.model, req.prompt, image=str(still), **kwargs)
            parts.append(nxt[1:])  # the first frame repeats the conditioning still
    return np.concatenate(parts)[:want], fps


def generate(settings: Settings, req: Request, out: Path | None = None,
             generate_frames: FramesFn | None = None) -> dict[str, Any]:
    """The whole request; the contract JSON `{"output", "path", "blocked", "reasons",
    "attribution"}`. A blocked request makes no file and is recorded as blocked."""
    from clearreel.generate.outputs import new_output_id

    req.validate()
    info = model_info(settings, req.model)
    _destination(settings, "out-check", out)
    output_id = new_output_id()
    suspended = suspension(settings, req, info)
    if suspended is not None:
        _record(settings, output_id, req, info, blocked=True, reasons=[suspended])
        return _result(output_id, None, True, [suspended], [])
    require_attribution(settings, info)
    checked = guard_report(settings, req, info)
    if not checked["allowed"]:
        denials = [r for r in checked["reasons"] if r.get("effect") == "deny"]
        _record(settings, output_id, req, info, blocked=True, reasons=denials)
        return {**_result(output_id, None, True, denials, []), "guard": checked}
    storyboard = None
    if req.image is not None:  # the likeness guard on the input, before any frame is made
        from clearreel.generate.likeness import check_storyboard

        seen = check_storyboard(settings, req.image, project=req.project, purpose=req.purpose,
                                on=req.on, territory=req.territory, subject=output_id)
        storyboard = seen.to_json()
        if not seen.allowed:
            likeness = {"checked_frames": 0, "matches": [], "storyboard": storyboard}
            _record(settings, output_id, req, info, blocked=True, reasons=seen.denials,
                    params={"likeness": likeness})
            return {**_result(output_id, None, True, seen.denials, []), "likeness": likeness,
                    "guard": checked}
    if generate_frames is None:
        from clearreel.generate.video import generate_frames as _gf

        generate_frames = _gf
    frames, fps = _frames(settings, req, generate_frames, info)
    return {**deliver(settings, output_id, frames, fps, req, info, out, storyboard),
            "guard": checked}


__all__ = ["MAX_SECONDS", "ModelInfo", "Request", "deliver", "generate", "guard", "guard_report",
           "model_info", "require_attribution", "suspension"]
