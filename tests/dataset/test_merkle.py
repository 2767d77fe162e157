"""The Merkle construction: known small trees, odd promotion, inclusion proofs."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from clearreel.dataset.merkle import (
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)


def test_empty_and_single() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle_root([b"a"]) == hashlib.sha256(b"\x00a").hexdigest()


def test_three_leaves_promote_the_odd_one() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle_root([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c).hex()
    # Domain separation: a leaf is not an inner node.
    assert leaf_hash(a + b) != node_hash(a, b)


def test_order_and_content_matter() -> None:
    assert merkle_root([b"a", b"b"]) != merkle_root([b"b", b"a"])
    assert merkle_root([b"a", b"b"]) != merkle_root([b"a", b"c"])


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_leaf_has_a_valid_proof(leaves: list[bytes], data: st.DataObject) -> None:
    root = merkle_root(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    proof = inclusion_proof(leaves, i)
    assert verify_inclusion(leaves[i], proof, root)
    assert not verify_inclusion(leaves[i] + b"x", proof, root)
