"""The Merkle tree over a dataset's clips.

Construction (documented in docs/datasets.md; domain separation as in RFC 6962 §2.1, so a
leaf can never be passed off as an inner node):

- leaves, in the order of the manifest's `clips` list (sorted by clip id):
  `leaf_i = SHA-256(0x00 || canonical_json(ManifestClip_i.to_json()))`;
- each level pairs neighbours left to right: `node = SHA-256(0x01 || left || right)`;
  a last, odd node is promoted unchanged to the next level;
- the root is the single node left; an empty dataset's root is `SHA-256("")`.

Hashes are raw 32-byte digests inside the tree; the root is written as lowercase hex.
An inclusion proof lets anyone show that one clip is in a dataset given only the root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF, NODE = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    level = list(leaves)
    levels = [level]
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])  # odd node promoted
        levels.append(nxt)
        level = nxt
    return levels


def merkle_root(leaf_data: Sequence[bytes]) -> str:
    """Hex root over the given leaf payloads (each is hashed as a leaf first)."""
    if not leaf_data:
        return hashlib.sha256(b"").hexdigest()
    return _levels([leaf_hash(d) for d in leaf_data])[-1][0].hex()


def inclusion_proof(leaf_data: Sequence[bytes], index: int) -> list[tuple[str, str]]:
    """The sibling path of leaf `index`: [("L" | "R", hex sibling), ...] from the bottom up."""
    levels = _levels([leaf_hash(d) for d in leaf_data])
    proof: list[tuple[str, str]] = []
    i = index
    for level in levels[:-1]:
        sibling = i ^ 1
        if sibling < len(level):
            proof.append(("L" if sibling < i else "R", level[sibling].hex()))
        i //= 2
    return proof


def verify_inclusion(data: bytes, proof: Sequence[tuple[str, str]], root: str) -> bool:
    h = leaf_hash(data)
    for side, sibling in proof:
        s = bytes.fromhex(sibling)
        h = node_hash(s, h) if side == "L" else node_hash(h, s)
    return h.hex() == root


__all__ = ["inclusion_proof", "leaf_hash", "merkle_root", "node_hash", "verify_inclusion"]
