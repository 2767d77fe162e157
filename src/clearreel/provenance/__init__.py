"""Provenance: the studio's keys and certificates, C2PA manifests, the watermark.

Verifying a file against the output record its manifest or watermark names is
`clearreel.generate.verify_file` (it reads generation's records and attribution's
fingerprint).

Heavy imports (c2pa, av, cv2) happen inside the functions, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clearreel.provenance.keys import (
    ca_pem,
    ensure_studio_keys,
    load_signing_key,
    signing_chain_pem,
)

if TYPE_CHECKING:
    from pathlib import Path

    from clearreel.config import Settings


def sign_video(settings: Settings, src: Path, dst: Path, **fields: Any) -> dict[str, Any]:
    """See `clearreel.provenance.c2pa_sign.sign_video`."""
    from clearreel.provenance.c2pa_sign import sign_video as _sign

    return _sign(settings, src, dst, **fields)


__all__ = ["ca_pem", "ensure_studio_keys", "load_signing_key", "sign_video", "signing_chain_pem"]
