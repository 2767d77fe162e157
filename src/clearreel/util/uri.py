"""Media URIs as local paths: the one reading of `file://` (and plain paths) for every stage.

A catalog may name media as plain paths, `file://` URLs (percent-encoded, with an empty host
or `localhost`, RFC 8089) or remote URLs (`s3://`, `gs://`, `https://`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


class UriError(ValueError):
    """A `file://` URL naming another host: it is not a file of this machine."""


def file_path(uri: str) -> Path | None:
    """The local path a media URI names; None for a remote URL.

    `file:///a%20b.mp4` is `/a b.mp4`; `file://localhost/x.mp4` is `/x.mp4`; a plain path is
    itself. A `file://` URL with another host raises `UriError`."""
    if uri.startswith("file:"):
        u = urlparse(uri)
        if u.netloc not in ("", "localhost"):
            raise UriError(f"{uri}: a file URL on host {u.netloc!r} is not a file of this "
                           "machine; write file:///PATH or the plain path")
        return Path(unquote(u.path))
    if "://" in uri:
        return None
    return Path(uri)


def is_remote(uri: str) -> bool:
    return "://" in uri and not uri.startswith("file:")


__all__ = ["UriError", "file_path", "is_remote"]
