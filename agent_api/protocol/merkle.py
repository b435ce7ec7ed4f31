"""Merkle tree hashing and proofs of RFC 6962 §2.1 / RFC 9162 §2.1, with SHA-256.

The transaction log is an append-only Merkle tree; checkpoints (see ``checkpoint.py``)
commit to its root. This module provides the Merkle Tree Hash (MTH), audit paths
(inclusion proofs), consistency proofs and their verification algorithms, and a
:class:`CompactRange` that computes the root of a growing log in O(log N) memory.

Leaves and interior nodes are domain-separated (RFC 9162 §2.1.1): a leaf hash is
SHA-256(0x00 || data), an interior node SHA-256(0x01 || left || right), so no interior
node can be passed off as a leaf.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from .errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# RFC 9162 §2.1.1: the hash of an empty list is the hash of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` >= 2), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _range_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a non-empty range, in O(log n) extra memory."""
    compact = CompactRange()
    for index in range(lo, hi):
        compact.append(leaf_hashes[index])
    return compact.root()


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of the given leaf hashes (``EMPTY_ROOT`` for none)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[lo, hi)`` whose Merkle Tree Hashes make PATH(index, D[size]) of
    RFC 9162 §2.1.3.1, leaf-side sibling first.

    The definition recurses from the root down and appends each level's sibling after the
    deeper ones, so the siblings are gathered top-down here and reversed at the end. Every
    range starts at a multiple of the largest power of two not above its length, so it is
    a run of perfect subtrees (what the tiles of ``tiles.py`` hold).
    """
    if not 0 <= index < size:
        raise ValueError("the leaf index is outside the tree")
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo += k
    siblings.reverse()
    return siblings


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose Merkle Tree Hashes make PROOF(old_size, D[size]) of RFC 9162
    §2.1.4.1.

    SUBPROOF recursion, unrolled: each level contributes one range after the deeper ones;
    the innermost level contributes its own range unless that range is the old tree itself
    (the ``b`` flag of the RFC), whose root the verifier already knows.
    """
    if not 0 <= old_size <= size:
        raise ValueError("the old size must be between 0 and the tree size")
    if old_size in (0, size):
        return []
    tail: list[tuple[int, int]] = []
    m, lo, hi = old_size, 0, size
    whole_old_tree = True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            tail.append((lo + k, hi))
            hi = lo + k
        else:
            tail.append((lo, lo + k))
            lo += k
            m -= k
            whole_old_tree = False
    proof = [] if whole_old_tree else [(lo, hi)]
    proof.extend(reversed(tail))
    return proof


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf-side sibling first."""
    return [
        _range_root(leaf_hashes, lo, hi) for lo, hi in inclusion_ranges(index, len(leaf_hashes))
    ]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the first ``old_size`` leaves and all."""
    return [
        _range_root(leaf_hashes, lo, hi)
        for lo, hi in consistency_ranges(old_size, len(leaf_hashes))
    ]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Verify an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.

    ``leaf`` is the leaf *hash*. Raises :class:`ProofError` when the proof does not lead
    from the leaf at ``index`` to ``root_hash`` in a tree of ``size`` leaves.
    """
    _check_hash(leaf, "the leaf hash")
    _check_hash(root_hash, "the root hash")
    if not 0 <= index < size:
        raise ProofError("the leaf index is outside the tree")
    fn, sn = index, size - 1
    computed = leaf
    for sibling in proof:
        _check_hash(sibling, "a proof element")
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            # A right-edge node with no right sibling: climb until it is a right child.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    if not hmac.compare_digest(computed, root_hash):
        raise ProofError("the inclusion proof does not lead to the root")


def _trivially_consistent(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Validate inputs; settle the cases outside RFC 9162's 0 < old_size < new_size."""
    _check_hash(old_root, "the old root")
    _check_hash(new_root, "the new root")
    for element in proof:
        _check_hash(element, "a proof element")
    if old_size < 0 or new_size < old_size:
        raise ProofError("the old tree cannot be larger than the new tree")
    if old_size == new_size:
        if proof or not hmac.compare_digest(old_root, new_root):
            raise ProofError("trees of equal size must have equal roots and an empty proof")
        return True
    if old_size == 0:
        if proof or not hmac.compare_digest(old_root, EMPTY_ROOT):
            raise ProofError("an empty old tree needs an empty proof and the empty root")
        return True
    if not proof:
        raise ProofError("the consistency proof is empty")
    return False


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Verify a consistency proof with the algorithm of RFC 9162 §2.1.4.2.

    The RFC algorithm covers 0 < old_size < new_size. The edge cases follow from the
    definitions: equal sizes need an empty proof and equal roots; an empty old tree is
    consistent with anything, given an empty proof and the empty-tree root.
    """
    if _trivially_consistent(old_size, new_size, old_root, new_root, proof):
        return
    path = list(proof)
    # Step 2: when the old tree is a complete subtree, its root is the first node.
    if _is_power_of_two(old_size):
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    # Step 4: skip the levels where the old tree's last node is a right child.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_computed = new_computed = path[0]
    for element in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            old_computed = node_hash(element, old_computed)
            new_computed = node_hash(element, new_computed)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_computed = node_hash(new_computed, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if not hmac.compare_digest(old_computed, old_root):
        raise ProofError("the consistency proof does not lead to the old root")
    if not hmac.compare_digest(new_computed, new_root):
        raise ProofError("the consistency proof does not lead to the new root")


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size): a log's frontier.

    A tree of ``size`` leaves splits into one perfect subtree per set bit of ``size``,
    largest (leftmost) first. Appending a leaf merges equal-sized subtrees like a binary
    counter carries, and the tree root folds the subtree roots from the right, which is
    exactly how MTH splits a tree at the largest power of two (RFC 9162 §2.1.1). Memory
    is one hash per set bit: O(log N). ``state()`` / ``from_state()`` persist it.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a compact range holds one hash per set bit of its size")
        for value in hashes:
            if len(value) != HASH_SIZE:
                raise ValueError(f"compact range hashes are {HASH_SIZE} bytes")
        self._size = size
        self._hashes = [bytes(value) for value in hashes]

    @classmethod
    def from_state(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Restore a range saved with :meth:`state`."""
        return cls(size, hashes)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The subtree roots, largest subtree (leftmost leaves) first."""
        return tuple(self._hashes)

    def state(self) -> tuple[int, list[bytes]]:
        """``(size, subtree hashes)``, enough to resume appending later."""
        return self._size, list(self._hashes)

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def append(self, leaf: bytes) -> None:
        """Append one leaf *hash* (see :func:`leaf_hash`)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"leaf hashes are {HASH_SIZE} bytes")
        merged = leaf
        carry = self._size
        # Each trailing one bit is a subtree of the same size as the one being built.
        while carry & 1:
            merged = node_hash(self._hashes.pop(), merged)
            carry >>= 1
        self._hashes.append(merged)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append several leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of all leaves appended so far (``EMPTY_ROOT`` when there are none)."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for subtree in reversed(self._hashes[:-1]):
            result = node_hash(subtree, result)
        return result
