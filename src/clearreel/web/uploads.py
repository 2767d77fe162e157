"""Uploads: written to a temporary file, checked (an image opens as an image, a video has a
video stream), then renamed into place, so a refused or interrupted upload leaves nothing.

Files live under the workspace, per organization: cache/web/ORG/uploads/TOKEN.EXT.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from clearreel.config import Settings
from clearreel.errors import NotFound, UsageError

LIMITS = {"image": 20 * 2**20, "video": 512 * 2**20, "evidence": 20 * 2**20,
          "catalog": 8 * 2**20}
MAX_PIXELS = 8192 * 8192
_TOKEN = re.compile(r"up-[0-9a-f]{24}\.(png|jpg|webp|mp4|mov|mkv|webm|pdf|yaml|yml|json|txt)")


def _dir(settings: Settings) -> Path:
    org = settings.org or "_"
    d = settings.cache_dir(org, "web", "uploads")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _check_image(path: Path) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UsageError(f"the image is {img.width}x{img.height}: at most 8192x8192")
            fmt = (img.format or "").lower()
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise UsageError("this file is not an image: upload a PNG, JPEG or WebP "
                         "storyboard frame") from None
    return {"jpeg": "jpg", "png": "png", "webp": "webp"}.get(fmt) or _refuse_image(fmt)


def _refuse_image(fmt: str) -> str:
    raise UsageError(f"image format {fmt or 'unknown'!r}: upload a PNG, JPEG or WebP frame")


def _check_video(path: Path) -> str:
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise UsageError("this file has no video stream: upload a video (mp4)")
            name = (c.format.name or "").split(",")[0]
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        raise UsageError("this file is not a video: upload an mp4 (or mov, mkv, webm)") from None
    return {"mov": "mp4", "mp4": "mp4", "matroska": "mkv", "webm": "webm"}.get(name, "mp4")


def _check_evidence(path: Path, filename: str) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    try:
        return _check_image(path)
    except UsageError:
        pass
    if filename.lower().endswith(".txt"):
        try:
            path.read_text(encoding="utf-8")
            return "txt"
        except UnicodeDecodeError:
            pass
    raise UsageError("evidence must be a PDF, an image (PNG, JPEG, WebP) or a UTF-8 .txt file")


def _check_catalog(path: Path, filename: str) -> str:
    ext = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if ext not in ("yaml", "yml", "json"):
        raise UsageError("a catalog file is YAML or JSON (.yaml, .yml, .json)")
    return ext


async def save_upload(settings: Settings, upload: Any, *, kind: str) -> str:
    """Store an uploaded file after checking it is a `kind`; returns its token."""
    if upload is None or not getattr(upload, "filename", None):
        raise UsageError("choose a file to upload")
    limit = LIMITS[kind]
    d = _dir(settings)
    fd, tmp_name = tempfile.mkstemp(dir=d, prefix=".part-")
    tmp = Path(tmp_name)
    try:
        size = 0
        with open(fd, "wb") as f:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise UsageError(f"the file is larger than {limit // 2**20} MiB")
                f.write(chunk)
        if size == 0:
            raise UsageError("the file is empty")
        name = str(upload.filename)
        ext = {"image": lambda: _check_image(tmp), "video": lambda: _check_video(tmp),
               "evidence": lambda: _check_evidence(tmp, name),
               "catalog": lambda: _check_catalog(tmp, name)}[kind]()
        token = f"up-{secrets.token_hex(12)}.{ext}"
        tmp.replace(d / token)
        return token
    finally:
        tmp.unlink(missing_ok=True)


def path_of(settings: Settings, token: str) -> Path:
    if not _TOKEN.fullmatch(token or ""):
        raise NotFound("no such upload")
    p = _dir(settings) / token
    if not p.is_file():
        raise NotFound("no such upload (it may have been cleaned up: upload it again)")
    return p


async def verify_upload(settings: Settings, upload: Any) -> dict[str, Any]:
    """`clearreel verify FILE` on an uploaded video; the file is removed afterwards."""
    from clearreel.generate import verify_file

    token = await save_upload(settings, upload, kind="video")
    path = path_of(settings, token)
    try:
        report = verify_file(settings, path)
    finally:
        path.unlink(missing_ok=True)
    return {**report, "filename": str(upload.filename)}


__all__ = ["LIMITS", "path_of", "save_upload", "verify_upload"]
