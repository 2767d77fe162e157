"""Hostile catalog files are refused whole, with `file:line` errors and exit 2: alias bombs,
recursive aliases, deep nesting, oversized files, and media paths outside the catalog's folder
and the configured media roots (`../`, absolute paths, symlinks)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clearreel.config import Settings
from clearreel.errors import CatalogError
from clearreel.rights.catalog import load_catalog

from .conftest import base, find, write


def _bomb(levels: int) -> str:
    """The "billion laughs" pattern: each level is nine aliases of the one before."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\norganization: {id: org-x, name: X}\n"


def _problems(path: Path) -> list[str]:
    with pytest.raises(CatalogError) as e:
        load_catalog(path)
    return e.value.problems


def test_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    # Six levels expand to 9^6 = 531,441 values (today's reader built them all and then
    # complained about unknown keys); nine levels, under 600 bytes, took 4 GB.
    for levels in (6, 9):
        p = tmp_path / f"bomb{levels}.yaml"
        p.write_text(_bomb(levels))
        if levels == 9:
            assert p.stat().st_size < 600
        probs = _problems(p)
        assert len(probs) == 1 and "alias" in probs[0] and probs[0].startswith(f"{p}:")


def test_a_few_aliases_used_as_shorthand_still_work(tmp_path: Path) -> None:
    text = write(tmp_path / "c.yaml", base()).read_text()
    assert text.count("signed: '2024-01-15'") == 2
    text = text.replace("signed: '2024-01-15'", "signed: &d '2024-01-15'", 1)
    text = text.replace("signed: '2024-01-15'", "signed: *d", 1)
    p = tmp_path / "alias.yaml"
    p.write_text(text)
    cat = load_catalog(p)
    assert [str(k.signed) for k in cat.consents] == ["2024-01-15", "2024-01-15"]


def test_recursive_alias_is_a_line_error(tmp_path: Path) -> None:
    p = tmp_path / "rec.yaml"
    p.write_text("organization: {id: org-x, name: X}\nparties: &p\n  - {id: p-a, name: A}\n"
                 "  - *p\n")
    probs = _problems(p)
    assert len(probs) == 1 and "recursive alias" in probs[0] and probs[0].startswith(f"{p}:")


@pytest.mark.parametrize("kind", ["json", "yaml-flow", "yaml-block"])
def test_deep_nesting_is_a_line_error(tmp_path: Path, kind: str) -> None:
    if kind == "json":
        p = tmp_path / "deep.json"
        p.write_text('{"organization": {"id": "org-x", "name": "X"}, "parties": '
                     + "[" * 50_000 + "]" * 50_000 + "}")
    elif kind == "yaml-flow":
        p = tmp_path / "deep.yaml"
        p.write_text("organization: {id: org-x, name: X}\nparties: " + "[" * 5000 + "]" * 5000)
    else:
        p = tmp_path / "deep.yaml"
        p.write_text("organization: {id: org-x, name: X}\nparties:\n"
                     + "".join("  " * i + "- \n" for i in range(200)))
    probs = _problems(p)
    assert len(probs) == 1 and "nested deeper than 64" in probs[0], probs
    assert probs[0].startswith(f"{p}:")


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARREEL_CATALOG_MAX_BYTES", "1000")
    p = write(tmp_path / "big.yaml", base())
    probs = _problems(p)
    assert "over the limit of 1,000" in probs[0] and probs[0].startswith(f"{p}:1:")


def test_cli_exit_2_for_a_bomb(workspace: Settings, tmp_path: Path, cli) -> None:
    p = tmp_path / "bomb.yaml"
    p.write_text(_bomb(9))
    code, _, stderr = cli("catalog", "import", str(p))
    assert code == 2 and "alias" in stderr


# -- media paths ---------------------------------------------------------------------------

def _with_media(tmp_path: Path, media: str) -> Path:
    doc = base()
    find(doc, "works", "w-one")["media"] = [media]
    return write(tmp_path / "cat" / "catalog.yaml", doc)


@pytest.mark.parametrize("how", ["dotdot", "absolute", "file-url", "symlink", "reference"])
def test_media_outside_the_catalog_folder_is_refused(tmp_path: Path, how: str) -> None:
    other = tmp_path / "other-studio" / "media"
    other.mkdir(parents=True)
    (other / "secret.mp4").write_bytes(b"not ours")
    (tmp_path / "cat" / "media").mkdir(parents=True)
    if how == "dotdot":
        p = _with_media(tmp_path, "../other-studio/media/secret.mp4")
    elif how == "absolute":
        p = _with_media(tmp_path, str(other / "secret.mp4"))
    elif how == "file-url":
        p = _with_media(tmp_path, f"file://{other / 'secret.mp4'}")
    elif how == "symlink":
        os.symlink(other, tmp_path / "cat" / "media" / "shared")
        p = _with_media(tmp_path, "media/shared/secret.mp4")
    else:
        doc = base()
        find(doc, "parties", "p-ava")["references"] = [{"kind": "face", "path": "/etc/passwd"}]
        p = write(tmp_path / "cat" / "catalog.yaml", doc)
    probs = _problems(p)
    assert len(probs) == 1, probs
    assert probs[0].startswith(f"{p}:") and "outside the catalog's folder" in probs[0]
    assert "CLEARREEL_MEDIA_ROOTS" in probs[0]
    if how == "symlink":
        assert "a link to" in probs[0]


def test_media_inside_the_folder_a_root_or_remote_are_accepted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "library"
    lib.mkdir()
    (tmp_path / "cat" / "media").mkdir(parents=True)
    os.symlink(tmp_path / "cat" / "media", tmp_path / "cat" / "alias")  # a link that stays inside
    doc = base()
    find(doc, "works", "w-one")["media"] = ["media/a.mp4", "alias/b.mp4", "s3://bucket/c.mov",
                                            str(lib / "d.mp4")]
    p = write(tmp_path / "cat" / "catalog.yaml", doc)
    with pytest.raises(CatalogError):
        load_catalog(p)  # the library is not a root yet
    monkeypatch.setenv("CLEARREEL_MEDIA_ROOTS", str(lib))
    media = find(json.loads(load_catalog(p).model_dump_json()), "works", "w-one")["media"]
    assert media[2] == "s3://bucket/c.mov" and len(media) == 4


def test_cli_exit_2_for_media_outside(workspace: Settings, tmp_path: Path, cli) -> None:
    p = _with_media(tmp_path, "../../etc/passwd")
    code, _, stderr = cli("catalog", "import", str(p))
    assert code == 2 and "outside the catalog's folder" in stderr
