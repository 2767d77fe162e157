"""One reading of media URIs for every stage (RFC 8089 file URLs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearreel.curate.tasks import local_path
from clearreel.errors import MediaError
from clearreel.util.uri import UriError, file_path, is_remote


@pytest.mark.parametrize("uri,path", [
    ("file:///media/a%20b.mp4", "/media/a b.mp4"),
    ("file://localhost/media/harbor.mp4", "/media/harbor.mp4"),
    ("file:/media/harbor.mp4", "/media/harbor.mp4"),
    ("file:///media/%C3%A9t%C3%A9.mp4", "/media/été.mp4"),
    ("/media/plain name.mp4", "/media/plain name.mp4"),
    ("media/relative.mp4", "media/relative.mp4"),
])
def test_file_urls_and_plain_paths_name_the_same_local_file(uri: str, path: str) -> None:
    assert file_path(uri) == Path(path)
    assert local_path(uri) == path  # curation reads the same file the catalog confined
    assert not is_remote(uri)


def test_remote_urls_are_not_local() -> None:
    assert file_path("s3://bucket/harbor.mp4") is None and is_remote("s3://bucket/harbor.mp4")


def test_a_file_url_on_another_host_is_refused_with_a_fix() -> None:
    with pytest.raises(UriError, match="file:///PATH"):
        file_path("file://nas01/media/harbor.mp4")
    with pytest.raises(MediaError, match="not a file of this machine"):
        local_path("file://nas01/media/harbor.mp4")


def test_the_catalog_refuses_a_file_url_on_another_host(tmp_path: Path) -> None:
    from clearreel.errors import CatalogError
    from clearreel.rights.catalog import load_catalog

    f = tmp_path / "catalog.yaml"
    f.write_text(
        "organization: {id: org-a, name: A}\n"
        "parties: [{id: p-a, name: A, kind: company}]\n"
        "works:\n"
        "  - {id: w-1, title: One, kind: film, year: 2020, media: ['file://nas01/m/one.mp4'],\n"
        "     participations: [{party: p-a, role: studio, points: 100}]}\n")
    with pytest.raises(CatalogError) as e:
        load_catalog(f)
    assert any("catalog.yaml:" in p and "nas01" in p for p in e.value.problems), e.value.problems
