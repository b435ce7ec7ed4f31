"""C2SP signed-note and tlog-checkpoint: published vectors, round trips and tampering."""

from __future__ import annotations

import hashlib

import pytest

from agent_api.protocol.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    format_checkpoint,
    note_key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_note,
    sign_checkpoint,
    sign_note,
)
from agent_api.protocol.encoding import b64_encode
from agent_api.protocol.errors import NoteError, NoteMalformedError
from agent_api.protocol.keys import private_key_from_seed
from agent_api.protocol.merkle import leaf_hash, root

EM_DASH = "\u2014"

# c2sp.org/signed-note, "Verifier keys" example: its key and the note it signs.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjO"
    "BH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# golang.org/x/mod/sumdb/note package documentation: the PeterNeumann example.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n" + f"{EM_DASH} PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# c2sp.org/tlog-checkpoint example body (its signing key is not published).
SPEC_CHECKPOINT_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

LOG_SIGNER = NoteSigner("qurb.example/log", private_key_from_seed(bytes(range(32))))
WITNESS_SIGNER = NoteSigner("witness.example/w1", private_key_from_seed(bytes(range(1, 33))))


def test_signed_note_spec_example_verifier_key_and_note() -> None:
    verifier = NoteVerifier.from_string(SPEC_VKEY)
    assert verifier.name == "example.com/foo"
    assert verifier.key_id.hex() == "530d903a"
    assert verifier.to_string() == SPEC_VKEY
    opened = open_note(SPEC_NOTE, [verifier])
    assert opened.text == "This is an example message.\n"
    assert opened.verified_by == ("example.com/foo",)


def test_key_id_is_the_truncated_sha256_of_name_newline_type_and_key() -> None:
    verifier = NoteVerifier.from_string(SPEC_VKEY)
    digest = hashlib.sha256(b"example.com/foo\n\x01" + verifier.public_key).digest()
    assert note_key_id("example.com/foo", verifier.public_key) == digest[:4]


def test_go_sumdb_note_example_is_reproduced_and_opens() -> None:
    signer = NoteSigner.from_string(GO_SKEY)
    assert signer.verifier().to_string() == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE.encode("utf-8"), [NoteVerifier.from_string(GO_VKEY)]).text == GO_TEXT


def test_a_note_round_trips_with_several_signers() -> None:
    text = "line one\n\nline three after a blank line\n"
    note = sign_note(text, [LOG_SIGNER, WITNESS_SIGNER])
    assert note.count(EM_DASH) == 2
    opened = open_note(note, [LOG_SIGNER.verifier(), WITNESS_SIGNER.verifier()])
    assert opened.text == text
    assert opened.verified_by == ("qurb.example/log", "witness.example/w1")
    assert open_note(note, [WITNESS_SIGNER.verifier()]).verified_by == ("witness.example/w1",)


def test_flipping_any_single_byte_of_a_note_makes_it_fail() -> None:
    note = sign_note("qurb.example/log\n7\n" + b64_encode(b"\x11" * 32) + "\n", LOG_SIGNER)
    raw = note.encode("utf-8")
    verifiers = [LOG_SIGNER.verifier()]
    open_note(raw, verifiers)
    for index in range(len(raw)):
        for mask in (0x01, 0x20, 0x80):
            tampered = bytearray(raw)
            tampered[index] ^= mask
            with pytest.raises(NoteError):
                open_note(bytes(tampered), verifiers)


def test_unknown_signatures_are_ignored_but_one_trusted_signature_is_required() -> None:
    note = sign_note("hello\n", WITNESS_SIGNER)
    with pytest.raises(NoteError) as caught:
        open_note(note, [LOG_SIGNER.verifier()])
    assert caught.value.code == "note_invalid"
    # Same name, other key: still unknown, so ignored.
    impostor = NoteSigner("qurb.example/log", private_key_from_seed(b"\x07" * 32))
    both = sign_note("hello\n", [impostor, LOG_SIGNER])
    assert open_note(both, [LOG_SIGNER.verifier()]).verified_by == ("qurb.example/log",)


def test_a_failing_signature_from_a_trusted_key_rejects_the_note() -> None:
    good = sign_note("hello\n", LOG_SIGNER)
    forged_line = good.splitlines()[-1]
    other = sign_note("goodbye\n", [LOG_SIGNER, WITNESS_SIGNER])
    # Replace the log's valid signature on "goodbye" with its signature on "hello".
    lines = other.split("\n")
    lines[2] = forged_line
    tampered = "\n".join(lines)
    with pytest.raises(NoteError):
        open_note(tampered, [LOG_SIGNER.verifier(), WITNESS_SIGNER.verifier()])


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n" + EM_DASH + " a AAAAAAAA\n",
        "text\n\n",
        "text\n\n- a AAAAAAAAAAAA\n",
        "text\n\n" + EM_DASH + " a AAAAAAAAAAAA",
        "text\n\n" + EM_DASH + " a AAAA\n",
        "text\n\n" + EM_DASH + " a+b AAAAAAAAAAAA\n",
        "te\x01xt\n\n" + EM_DASH + " a AAAAAAAAAAAA\n",
        "text\n\n" + EM_DASH + " a not-base64!\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteMalformedError) as caught:
        parse_note(note)
    assert caught.value.code == "note_malformed"


@pytest.mark.parametrize(
    "vkey",
    [
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteMalformedError):
        NoteVerifier.from_string(vkey)


def test_sign_note_refuses_text_that_cannot_be_a_note() -> None:
    with pytest.raises(NoteMalformedError):
        sign_note("no final newline", LOG_SIGNER)
    with pytest.raises(NoteMalformedError):
        sign_note("tab\there\n", LOG_SIGNER)
    with pytest.raises(NoteMalformedError):
        NoteSigner("has space", private_key_from_seed(bytes(32)))


def test_tlog_checkpoint_spec_example_body_parses_and_formats_back() -> None:
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert len(checkpoint.root_hash) == 32
    assert checkpoint.extensions == ()
    assert format_checkpoint(checkpoint) == SPEC_CHECKPOINT_TEXT


def test_a_signed_checkpoint_of_a_real_tree_round_trips() -> None:
    leaves = [leaf_hash(b"tx %d" % i) for i in range(11)]
    checkpoint = Checkpoint("qurb.example/log", 11, root(leaves), ("extension line",))
    note = sign_checkpoint(checkpoint, LOG_SIGNER)
    assert note.startswith("qurb.example/log\n11\n")
    opened = open_checkpoint(note, [LOG_SIGNER.verifier()], origin="qurb.example/log")
    assert opened == checkpoint
    with pytest.raises(NoteError):
        open_checkpoint(note, [LOG_SIGNER.verifier()], origin="other.example/log")


@pytest.mark.parametrize(
    "text",
    [
        "origin\n12\n",
        "origin\n012\n" + b64_encode(bytes(32)) + "\n",
        "origin\n-1\n" + b64_encode(bytes(32)) + "\n",
        "origin\n1\n" + b64_encode(bytes(31)) + "\n",
        "origin\n1\n" + b64_encode(bytes(32)) + "\n\n",
        "origin\n1\n" + b64_encode(bytes(32)),
        "\n1\n" + b64_encode(bytes(32)) + "\n",
        "origin\n\u0661\n" + b64_encode(bytes(32)) + "\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteMalformedError):
        parse_checkpoint(text)


def test_the_empty_tree_checkpoint_has_size_zero() -> None:
    checkpoint = parse_checkpoint("o\n0\n" + b64_encode(root([])) + "\n")
    assert checkpoint.size == 0
