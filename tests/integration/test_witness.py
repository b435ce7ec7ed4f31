"""The independent witness (``qurb-audit witness``): it cosigns only a consistent extension
of what it cosigned before, answers the tlog-witness statuses, and keeps its state."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import (
    Checkpoint,
    NoteSigner,
    add_signature_lines,
    sign_checkpoint,
)
from agent_api.protocol.cosignature import Cosigner, cosignatures
from agent_api.protocol.encoding import b64_encode
from agent_api.protocol.keys import private_key_from_seed
from auditor import witness_cli, witness_store
from auditor.verify import verify
from auditor.witness import Witness, create_witness_app

ORIGIN = "qurb.test/audit"
LOG = NoteSigner(ORIGIN, private_key_from_seed(bytes([7] * 32)))
IMPOSTOR = NoteSigner(ORIGIN, private_key_from_seed(bytes([8] * 32)))


def leaves(tag: str, count: int) -> list[bytes]:
    return [merkle.leaf_hash(f"{tag}-{i}".encode()) for i in range(count)]


def note_of(hashes: list[bytes], signer: NoteSigner = LOG, origin: str = ORIGIN) -> str:
    return sign_checkpoint(Checkpoint(origin, len(hashes), merkle.root(hashes)), signer)


def body(old: int, proof: list[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(b64_encode(h) for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def extend(hashes: list[bytes], old: int) -> bytes:
    proof = merkle.consistency_proof(hashes, old) if old else []
    return body(old, proof, note_of(hashes))


def build(directory: Path) -> Witness:
    return witness_cli.build(
        directory, witness_cli.parse_logs([f"{ORIGIN}={LOG.verifier().to_string()}"])
    )


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    witness_store.init(tmp_path / "w", "witness.test/w1")
    return tmp_path / "w"


@pytest.fixture
def client(directory: Path) -> TestClient:
    return TestClient(create_witness_app(build(directory)))


def post(client: TestClient, payload: bytes) -> tuple[int, str, str]:
    response = client.post("/add-checkpoint", content=payload)
    return response.status_code, response.text, response.headers.get("content-type", "")


def test_the_first_checkpoint_is_cosigned_and_the_cosignature_verifies(
    client: TestClient, directory: Path
) -> None:
    history = leaves("a", 5)
    status, text, _ = post(client, extend(history, 0))
    assert status == 200, text
    key = witness_store.load_key(directory).key()
    [found] = cosignatures(note_of(history) + text, [key])
    assert found.key.name == "witness.test/w1"


def test_an_extension_with_its_proof_is_cosigned(client: TestClient) -> None:
    history = leaves("a", 300)
    assert post(client, extend(history[:5], 0))[0] == 200
    assert post(client, extend(history[:257], 5))[0] == 200
    assert post(client, extend(history, 257))[0] == 200


def test_a_wrong_old_size_gets_409_with_the_size_the_witness_holds(client: TestClient) -> None:
    history = leaves("a", 12)
    post(client, extend(history[:5], 0))
    status, text, content_type = post(client, extend(history, 3))
    assert (status, text, content_type) == (409, "5\n", "text/x.tlog.size")


def test_a_fork_is_refused_with_422_and_kept_as_evidence(
    client: TestClient, directory: Path
) -> None:
    honest = leaves("a", 8)
    assert post(client, extend(honest[:5], 0))[0] == 200
    # A history rewritten at leaf 3: bigger, signed by the log, but not an extension.
    forked = honest[:3] + leaves("rewritten", 9)
    status, text, _ = post(client, extend(forked, 5))
    assert status == 422, text
    # A proof made for the honest history does not vouch for the forked checkpoint either.
    proof = merkle.consistency_proof(honest, 5)
    assert post(client, body(5, proof, note_of(forked[:8])))[0] == 422
    # The witness still holds 5, and extends only the honest history from there.
    assert post(client, extend(honest, 0))[:2] == (409, "5\n")
    assert post(client, extend(honest, 5))[0] == 200
    reasons = [reason for reason, _ in witness_store.WitnessStore(directory).refusals(ORIGIN)]
    assert reasons == ["inconsistent", "inconsistent"]


def test_another_root_at_the_held_size_is_a_conflict(client: TestClient) -> None:
    post(client, extend(leaves("a", 6), 0))
    status, _, content_type = post(client, extend(leaves("b", 6), 6))
    assert status == 409
    assert not content_type.startswith("text/x.tlog.size")


def test_a_smaller_checkpoint_is_never_cosigned(client: TestClient) -> None:
    history = leaves("a", 10)
    post(client, extend(history, 0))
    assert post(client, body(10, [], note_of(history[:4])))[0] == 400
    assert post(client, extend(history[:4], 0))[:2] == (409, "10\n")


def test_unknown_logs_and_bad_signatures_are_refused_as_the_spec_says(client: TestClient) -> None:
    history = leaves("a", 3)
    stranger = NoteSigner("other.test/log", private_key_from_seed(bytes([5] * 32)))
    assert post(client, body(0, [], note_of(history, stranger, "other.test/log")))[0] == 404
    assert post(client, body(0, [], note_of(history, IMPOSTOR)))[0] == 403
    assert post(client, b"old 01\n\n" + note_of(history).encode())[0] == 400
    assert post(client, b"new 0\n\n" + note_of(history).encode())[0] == 400
    assert post(client, b"old 0\nnot-base64!\n\n" + note_of(history).encode())[0] == 400
    assert post(client, b"\xff\xfe")[0] == 400
    assert post(client, b"old 0\n" + b"x" * 70_000)[0] == 413


def test_the_witness_keeps_its_state_across_a_restart(directory: Path) -> None:
    history = leaves("a", 40)
    first = TestClient(create_witness_app(build(directory)))
    assert post(first, extend(history[:17], 0))[0] == 200
    again = TestClient(create_witness_app(build(directory)))
    assert post(again, extend(history, 0))[:2] == (409, "17\n")
    assert post(again, extend(history, 17))[0] == 200


def test_of_concurrent_extensions_of_one_checkpoint_exactly_one_is_cosigned(
    directory: Path,
) -> None:
    witness = build(directory)
    base = leaves("a", 4)
    witness.add_checkpoint(extend(base, 0))
    # Eight different histories, each a valid extension of the held checkpoint.
    candidates = [extend(base + leaves(f"c{i}", i + 1), 4) for i in range(8)]
    outcomes: list[int] = []
    barrier = threading.Barrier(len(candidates))

    def submit(payload: bytes) -> None:
        barrier.wait()
        try:
            witness.add_checkpoint(payload)
            outcomes.append(200)
        except Exception as exc:  # noqa: BLE001 - the refusal's status is what is counted
            outcomes.append(getattr(exc, "status", 500))

    threads = [threading.Thread(target=submit, args=(c,)) for c in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [200] + [409] * 7
    held = witness_store.WitnessStore(directory).held(ORIGIN)
    assert held is not None
    assert held.size > 4


def test_init_refuses_to_replace_a_witness_key(directory: Path) -> None:
    with pytest.raises(witness_store.WitnessSetupError, match="exists"):
        witness_store.init(directory, "witness.test/w1")
    assert (directory / witness_store.KEY_FILE).stat().st_mode & 0o077 == 0


def test_serving_without_init_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="witness init"):
        build(tmp_path / "nothing")


def _export(count: int, notes: list[str]) -> dict[str, object]:
    data = [f'{{"at":"2026-12-06T08:00:00+00:00","index":{i},"kind":"k"}}' for i in range(count)]
    return {
        "format": "qurb-audit-export/1",
        "start": 0,
        "leaves": [
            {"index": i, "kind": "k", "data": d, "leaf_hash": merkle.leaf_hash(d.encode()).hex()}
            for i, d in enumerate(data)
        ],
        "checkpoints": [{"size": int(n.split("\n")[1]), "note": n} for n in notes],
        "terminal_keys": [],
    }


def test_qurb_audit_verify_counts_the_newest_checkpoint_only_with_a_quorum(
    client: TestClient, directory: Path
) -> None:
    data = [f'{{"at":"2026-12-06T08:00:00+00:00","index":{i},"kind":"k"}}' for i in range(9)]
    history = [merkle.leaf_hash(d.encode()) for d in data]
    old_note = note_of(history[:4])
    new_note = note_of(history)
    witness_key = witness_store.load_key(directory).key()
    _, line, _ = post(client, extend(history, 0))
    cosigned = add_signature_lines(new_note, [line])
    trusted = [LOG.verifier()]

    report = verify(_export(9, [old_note, cosigned]), trusted, witnesses=[witness_key], quorum=1)
    assert report.clean, report.findings
    assert report.cosigned_by == 1
    # The same export whose newest checkpoint was never shown to the witness.
    bare = verify(_export(9, [old_note, new_note]), trusted, witnesses=[witness_key], quorum=1)
    assert bare.findings == [
        "checkpoint 9: not witnessed: cosigned by 0 of the trusted witnesses "
        "(witness.test/w1), a quorum of 1 is required"
    ]
    # A witness the auditor does not know does not count, whatever its name.
    stranger = Cosigner.generate("witness.test/w1").key()
    refused = verify(_export(9, [old_note, cosigned]), trusted, witnesses=[stranger], quorum=1)
    assert not refused.clean
