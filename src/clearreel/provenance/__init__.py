"""Provenance: the studio's keys and certificates, C2PA manifests, the watermark, verification."""

from clearreel.provenance.keys import ca_pem, ensure_studio_keys, load_signing_key, signing_chain_pem

__all__ = ["ca_pem", "ensure_studio_keys", "load_signing_key", "signing_chain_pem"]
