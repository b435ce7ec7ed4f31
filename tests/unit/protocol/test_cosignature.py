"""C2SP tlog-cosignature (Ed25519 cosignature/v1): the spec's example, round trips, quorums."""

from __future__ import annotations

import base64
import hashlib

import pytest

from agent_api.protocol.checkpoint import (
    Checkpoint,
    NoteSigner,
    add_signature_lines,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from agent_api.protocol.cosignature import (
    COSIGNATURE_TYPE,
    Cosigner,
    CosignerKey,
    cosign,
    cosignatures,
    cosigned_message,
    cosigner_key_id,
    require_quorum,
)
from agent_api.protocol.encoding import b64_encode
from agent_api.protocol.errors import NoteError, NoteMalformedError
from agent_api.protocol.keys import private_key_from_seed

EM_DASH = "\u2014"

# c2sp.org/tlog-cosignature: the example checkpoint with the log's and a witness's lines.
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_WITNESS_LINE = (
    f"{EM_DASH} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZ"
    "CB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
SPEC_LOG_LINE = (
    f"{EM_DASH} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4UR"
    "YN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
# The spec's "Ed25519 signed message" example: the same checkpoint at time 1679315147.
SPEC_MESSAGE = (
    b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
    b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

LOG = NoteSigner("example.com/log", private_key_from_seed(bytes(range(32))))
WITNESS_A = Cosigner("witness.example/a", private_key_from_seed(bytes([1] * 32)))
WITNESS_B = Cosigner("witness.example/b", private_key_from_seed(bytes([2] * 32)))
CHECKPOINT = Checkpoint("example.com/log", 7, hashlib.sha256(b"root").digest())


def signed() -> str:
    return sign_checkpoint(CHECKPOINT, LOG)


def test_the_signed_message_is_the_specs_example_byte_for_byte() -> None:
    assert cosigned_message(SPEC_TEXT, 1679315147) == SPEC_MESSAGE


def test_the_specs_witness_line_carries_the_specs_timestamp_after_its_key_id() -> None:
    note = SPEC_TEXT + "\n" + SPEC_LOG_LINE + SPEC_WITNESS_LINE
    _, signatures = parse_note(note)
    witness = signatures[1]
    assert witness.name == "witness.example.com/w1"
    # key ID (4 bytes) || u64 big-endian timestamp || 64-byte Ed25519 signature.
    assert len(witness.signature) == 8 + 64
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147


def test_the_key_id_commits_to_the_cosignature_type_0x04() -> None:
    public = WITNESS_A.key().public_key
    expected = hashlib.sha256(b"witness.example/a\n\x04" + public).digest()[:4]
    assert cosigner_key_id("witness.example/a", public) == expected
    # The same name and key as a log key (type 0x01) has another ID: never confused.
    assert expected != hashlib.sha256(b"witness.example/a\n\x01" + public).digest()[:4]


def test_a_cosignature_verifies_with_its_timestamp_and_keeps_the_log_signature_valid() -> None:
    note = signed()
    text = note[: note.rfind("\n\n") + 1]
    cosigned = add_signature_lines(note, [cosign(text, WITNESS_A, 1_800_000_000)])
    [found] = cosignatures(cosigned, [WITNESS_A.key()])
    assert found.timestamp == 1_800_000_000
    assert found.key.name == "witness.example/a"
    # The log's own signature still opens the note: cosignatures are extra lines only.
    assert open_checkpoint(cosigned, [LOG.verifier()]) == CHECKPOINT


def test_a_cosignature_on_another_checkpoint_does_not_count() -> None:
    other = Checkpoint("example.com/log", 8, hashlib.sha256(b"other").digest())
    line = cosign(other.text(), WITNESS_A, 1_800_000_000)
    assert cosignatures(add_signature_lines(signed(), [line]), [WITNESS_A.key()]) == []


def test_a_tampered_timestamp_breaks_the_cosignature() -> None:
    note = signed()
    line = cosign(CHECKPOINT.text(), WITNESS_A, 1_800_000_000)
    name, blob = line[2:].split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[4 + 7] ^= 1  # the last byte of the timestamp
    forged = f"{EM_DASH} {name} {b64_encode(bytes(raw))}\n"
    assert cosignatures(add_signature_lines(note, [forged]), [WITNESS_A.key()]) == []


def test_a_cosignature_from_the_future_is_refused_when_asked() -> None:
    note = add_signature_lines(signed(), [cosign(CHECKPOINT.text(), WITNESS_A, 2_000_000_000)])
    assert cosignatures(note, [WITNESS_A.key()], not_after=1_900_000_000) == []


def test_a_quorum_counts_each_trusted_witness_once() -> None:
    text = CHECKPOINT.text()
    note = add_signature_lines(
        signed(),
        [cosign(text, WITNESS_A, 1), cosign(text, WITNESS_A, 2), cosign(text, WITNESS_B, 3)],
    )
    keys = [WITNESS_A.key(), WITNESS_B.key()]
    assert len(require_quorum(note, keys, 2)) == 2
    only_a = add_signature_lines(signed(), [cosign(text, WITNESS_A, 1), cosign(text, WITNESS_A, 2)])
    with pytest.raises(NoteError, match=r"cosigned by 1 of the trusted witnesses.*quorum of 2"):
        require_quorum(only_a, keys, 2)


def test_an_unknown_witness_does_not_make_a_quorum() -> None:
    stranger = Cosigner("witness.example/a", private_key_from_seed(bytes([9] * 32)))
    note = add_signature_lines(signed(), [cosign(CHECKPOINT.text(), stranger, 1)])
    with pytest.raises(NoteError, match="quorum of 1"):
        require_quorum(note, [WITNESS_A.key()], 1)


def test_witness_keys_round_trip_and_refuse_a_log_key() -> None:
    vkey = WITNESS_A.key().to_string()
    assert vkey.startswith("witness.example/a+")
    assert CosignerKey.from_string(vkey) == WITNESS_A.key()
    restored = Cosigner.from_string(WITNESS_A.to_string())
    assert restored.key() == WITNESS_A.key()
    with pytest.raises(NoteMalformedError, match="type 0x04"):
        CosignerKey.from_string(LOG.verifier().to_string())
    name, key_id, encoded = vkey.split("+", 2)
    with pytest.raises(NoteMalformedError, match="key ID does not match"):
        CosignerKey.from_string(f"{name}x+{key_id}+{encoded}")
    assert COSIGNATURE_TYPE == 0x04


def test_a_timestamp_beyond_2_to_the_63_is_refused() -> None:
    with pytest.raises(NoteMalformedError):
        cosigned_message(CHECKPOINT.text(), 2**63)


def test_adding_the_same_cosignature_twice_keeps_one_line() -> None:
    line = cosign(CHECKPOINT.text(), WITNESS_A, 5)
    note = add_signature_lines(add_signature_lines(signed(), [line]), [line, line])
    assert note.count(line) == 1
