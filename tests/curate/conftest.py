"""Fixtures for the analysers: the sample studio at test size, decoded once per session."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearreel.media import Decoded, decode


@pytest.fixture(scope="session")
def sample_studio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample studio (engineer S's generator), three 15 s films at 96x54, 24 fps.

    Returns {"root": Path, "catalog": Path, "truth": dict}.
    """
    from clearreel.sample import make_sample_studio

    root = tmp_path_factory.mktemp("studio")
    catalog = make_sample_studio(
        root, seed=0, films=3, width=96, height=54, fps=24, seconds=15, bbb=False
    )
    truth = json.loads((root / "truth.json").read_text())
    return {"root": root, "catalog": catalog, "truth": truth}


@pytest.fixture(scope="session")
def decoded(sample_studio: dict[str, Any]) -> Callable[[str], Decoded]:
    """decoded(work_id) -> the analysis decode (96x54) of that work's film, cached."""
    cache: dict[str, Decoded] = {}

    def get(work: str) -> Decoded:
        if work not in cache:
            media = sample_studio["truth"]["works"][work]["media"]
            cache[work] = decode(Path(sample_studio["root"]) / media, 96, 54)
        return cache[work]

    return get


@pytest.fixture(scope="session")
def detected(decoded: Callable[[str], Decoded]) -> Callable[[str, str], list[Any]]:
    """detected(detector, work_id) -> shots with the default config, cached per session."""
    from clearreel.curate.config import CurateConfig
    from clearreel.curate.shots import detect_shots

    cache: dict[tuple[str, str], list[Any]] = {}

    def get(name: str, work: str) -> list[Any]:
        if (name, work) not in cache:
            cache[(name, work)] = detect_shots(name, decoded(work), CurateConfig())
        return cache[(name, work)]

    return get
