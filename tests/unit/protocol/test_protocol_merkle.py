"""RFC 6962 / RFC 9162 Merkle trees: known roots, proofs for every small tree, compact range."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.protocol.errors import ProofError
from agent_api.protocol.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# The RFC 6962 reference test data, as published in transparency-dev/merkle
# (testonly/constants.go): eight leaf inputs, the roots of their prefixes, and the hashes
# of the complete subtrees, level by level.
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
MAX_SIZE = 20
LEAVES = [leaf_hash(b"qurb leaf %d" % i) for i in range(MAX_SIZE)]


def _node(level: int, index: int) -> bytes:
    return bytes.fromhex(NODES[level][index])


def _altered(proof: list[bytes], index: int) -> list[bytes]:
    changed = list(proof)
    changed[index] = bytes([changed[index][0] ^ 0x01]) + changed[index][1:]
    return changed


def test_hashes_are_domain_separated_sha256() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT


def test_reference_vectors_leaf_and_subtree_hashes() -> None:
    leaves = [leaf_hash(data) for data in LEAF_INPUTS]
    assert [h.hex() for h in leaves] == NODES[0]
    for level in range(1, len(NODES)):
        for index, expected in enumerate(NODES[level]):
            left, right = _node(level - 1, 2 * index), _node(level - 1, 2 * index + 1)
            assert node_hash(left, right).hex() == expected


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_reference_vectors_root_of_every_prefix(size: int) -> None:
    leaves = [leaf_hash(data) for data in LEAF_INPUTS[:size]]
    assert root(leaves).hex() == ROOTS[size]
    compact = CompactRange()
    compact.extend(leaves)
    assert compact.root().hex() == ROOTS[size]


def test_reference_vectors_explicit_proofs() -> None:
    leaves = [leaf_hash(data) for data in LEAF_INPUTS]
    # PATH(0, D[8]) climbs through the right siblings at each level (RFC 9162 §2.1.3.1).
    assert inclusion_proof(leaves, 0) == [_node(0, 1), _node(1, 1), _node(2, 1)]
    # PATH(5, D[8]): leaf 4, then the pair (6,7), then the left half.
    assert inclusion_proof(leaves, 5) == [_node(0, 4), _node(1, 3), _node(2, 0)]
    # PROOF(6, D[8]) = MTH(D[4:6]), MTH(D[6:8]), MTH(D[0:4]) (RFC 9162 §2.1.4.1).
    proof = consistency_proof(leaves, 6)
    assert proof == [_node(1, 2), _node(1, 3), _node(2, 0)]
    verify_consistency(6, 8, bytes.fromhex(ROOTS[6]), bytes.fromhex(ROOTS[8]), proof)
    # PROOF(4, D[8]) of a complete old tree omits its root: only MTH(D[4:8]).
    assert consistency_proof(leaves, 4) == [_node(2, 1)]


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_inclusion_proofs_for_every_index_verify_and_reject_tampering(size: int) -> None:
    leaves = LEAVES[:size]
    tree_root = root(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        verify_inclusion(leaves[index], index, size, proof, tree_root)
        for position in range(len(proof)):
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, size, _altered(proof, position), tree_root)
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(b"other"), index, size, proof, tree_root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, proof, leaf_hash(b"root"))
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, [*proof, tree_root], tree_root)
        if proof:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], index, size, proof[:-1], tree_root)
        if size > 1:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], (index + 1) % size, size, proof, tree_root)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[0], size, size, [], tree_root)


@pytest.mark.parametrize("new_size", range(1, MAX_SIZE + 1))
def test_consistency_proofs_for_every_pair_of_sizes_verify_and_reject_tampering(
    new_size: int,
) -> None:
    new_root = root(LEAVES[:new_size])
    for old_size in range(new_size + 1):
        old_root = root(LEAVES[:old_size])
        proof = consistency_proof(LEAVES[:new_size], old_size)
        verify_consistency(old_size, new_size, old_root, new_root, proof)
        for position in range(len(proof)):
            altered = _altered(proof, position)
            with pytest.raises(ProofError):
                verify_consistency(old_size, new_size, old_root, new_root, altered)
        if 0 < old_size < new_size:
            with pytest.raises(ProofError):
                verify_consistency(old_size, new_size, leaf_hash(b"x"), new_root, proof)
            with pytest.raises(ProofError):
                verify_consistency(old_size, new_size, old_root, leaf_hash(b"x"), proof)
            with pytest.raises(ProofError):
                verify_consistency(old_size, new_size, old_root, new_root, [*proof, new_root])
            with pytest.raises(ProofError):
                verify_consistency(old_size, new_size, old_root, new_root, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(new_size, new_size - 1, new_root, new_root, [])


def test_a_tree_is_not_consistent_with_a_rewritten_history() -> None:
    rewritten = [*LEAVES[:3], leaf_hash(b"forged"), *LEAVES[4:10]]
    proof = consistency_proof(rewritten, 5)
    with pytest.raises(ProofError):
        verify_consistency(5, 10, root(LEAVES[:5]), root(rewritten), proof)


def test_compact_range_matches_full_recomputation_at_every_size() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size, leaf in enumerate(LEAVES * 4, start=1):
        compact.append(leaf)
        assert compact.size == size
        assert len(compact.hashes) == size.bit_count()
        assert compact.root() == root((LEAVES * 4)[:size])


@settings(max_examples=50, deadline=None, database=None)
@given(total=st.integers(min_value=0, max_value=300), data=st.data())
def test_compact_range_state_survives_persistence(total: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(total)]
    cut = data.draw(st.integers(min_value=0, max_value=total))
    first = CompactRange()
    first.extend(leaves[:cut])
    size, hashes = first.state()
    resumed = CompactRange.from_state(size, hashes)
    resumed.extend(leaves[cut:])
    assert resumed.root() == root(leaves)


def test_compact_range_refuses_an_inconsistent_state() -> None:
    with pytest.raises(ValueError, match="set bit"):
        CompactRange(3, [LEAVES[0]])
    with pytest.raises(ValueError, match="32 bytes"):
        CompactRange(1, [b"short"])


def test_proof_generation_refuses_out_of_range_arguments() -> None:
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError, match="between"):
        consistency_proof(LEAVES[:3], 4)
