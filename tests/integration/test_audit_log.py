"""The audit log: one leaf per state change with dense indexes, receipts naming their leaf,
signed checkpoints that verify with the published key alone, proofs an auditor checks, and
a log that refuses to sign a checkpoint once a leaf was altered."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta

import jwt
import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from agent_api.errors import Conflict
from agent_api.persistence.tables import AuditLeaf
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import NoteVerifier, open_checkpoint
from agent_api.protocol.errors import NoteError, ProofError
from agent_api.services.log import audit_log
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import enroll, pay, today
from tests.support.terminal import TestTerminal


def _leaves(world: World) -> list[AuditLeaf]:
    with Session(world.services.engine) as session:
        return list(session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index))).all())


def _verifier(world: World) -> NoteVerifier:
    return NoteVerifier.from_string(world.client.get("/v1/audit/key").text.strip())


def test_every_state_change_is_one_leaf_with_dense_indexes_and_receipts_name_theirs(
    world: World, terminal: TestTerminal
) -> None:
    before = len(_leaves(world))  # the registry's own creation is logged too
    assert before > 0
    collected = pay(terminal, enroll(terminal), 7_000, "CA-01")
    leaves = _leaves(world)
    assert [leaf.leaf_index for leaf in leaves] == list(range(len(leaves)))
    assert len(leaves) == before + 2  # the enrollment and the collection
    last = json.loads(leaves[-1].data)
    assert last["kind"] == "signed_write"
    assert last["decision"]["receipt"] == collected.receipt
    assert last["decision"]["amount_centimes"] == 7_000
    assert last["request"]["path"] == "/v1/contributions"
    assert leaves[-1].leaf_hash == merkle.leaf_hash(leaves[-1].data.encode()).hex()
    receipt = terminal.send("GET", f"/v1/receipts/{collected.receipt}").json()
    claims = jwt.decode(receipt["receipt"], options={"verify_signature": False})
    # The receipt names the entry the sequencer gave its index to, and promises it is in a
    # checkpoint within the maximum merge delay of the receipt's time.
    assert claims["log_entry"] == last["entry"] == leaves[-1].entry
    assert re.fullmatch(r"[0-9a-f]{32}", claims["log_entry"])
    assert claims["log_by"] == claims["iat"] + 3600
    assert datetime.fromisoformat(last["log_by"]) <= datetime.fromisoformat(last["at"]) + timedelta(
        hours=1
    )
    assert "index" not in last  # the index is the leaf's place in the tree, not its content


def test_a_leaf_keeps_the_signature_but_never_the_token_nor_the_body(
    world: World, terminal: TestTerminal
) -> None:
    enroll(terminal)
    leaf = json.loads(_leaves(world)[-1].data)
    covered = leaf["request"]["covered"]
    assert "authorization" not in covered  # never signed, never logged
    assert covered["qurb-token-digest"].startswith("sha-256=:")
    assert terminal.token is not None
    assert terminal.token not in _leaves(world)[-1].data
    assert covered["content-digest"].startswith("sha-256=:")
    assert "El Amrani" not in _leaves(world)[-1].data  # the worker's name stays out
    assert base64.b64decode(leaf["request"]["signature"])


def test_the_checkpoint_verifies_with_the_published_key_and_fails_on_any_flipped_byte(
    world: World, terminal: TestTerminal
) -> None:
    enroll(terminal)
    world.services.audit.checkpoint()
    note = world.client.get("/v1/audit/checkpoint").text
    verifier = _verifier(world)
    checkpoint = open_checkpoint(note, [verifier], origin=world.services.settings.log_origin)
    hashes = [bytes.fromhex(leaf.leaf_hash) for leaf in _leaves(world)]
    assert checkpoint.size == len(hashes)
    assert checkpoint.root_hash == merkle.root(hashes)
    raw = note.encode()
    for position in range(0, len(raw), 7):
        flipped = raw[:position] + bytes([raw[position] ^ 0x01]) + raw[position + 1 :]
        with pytest.raises((NoteError, ValueError, UnicodeDecodeError)):
            open_checkpoint(flipped, [verifier], origin=world.services.settings.log_origin)


def test_an_auditor_proves_a_receipt_is_in_the_log_and_that_the_log_only_grew(
    world: World, terminal: TestTerminal
) -> None:
    first = world.services.audit.checkpoint()
    collected = pay(terminal, enroll(terminal), 9_000, "CA-01")
    second = world.services.audit.checkpoint()
    auditor = world.auth("cnss.auditor")
    leaves = world.client.get(
        f"/v1/audit/leaves?start=0&end={second.size}", headers=auditor
    ).json()["items"]
    index = next(leaf["index"] for leaf in leaves if collected.receipt in leaf["data"])
    proof = world.client.get(
        f"/v1/audit/proofs/inclusion?index={index}&size={second.size}", headers=auditor
    ).json()["proof"]
    path = [bytes.fromhex(h) for h in proof]
    root = bytes.fromhex(second.root_hash)
    merkle.verify_inclusion(
        bytes.fromhex(leaves[index]["leaf_hash"]), index, second.size, path, root
    )
    with pytest.raises(ProofError):
        merkle.verify_inclusion(
            bytes.fromhex(leaves[0]["leaf_hash"]), index, second.size, path, root
        )
    consistency = world.client.get(
        f"/v1/audit/proofs/consistency?old={first.size}&new={second.size}", headers=auditor
    ).json()["proof"]
    merkle.verify_consistency(
        first.size,
        second.size,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(h) for h in consistency],
    )
    for username in ("cnss.finance", "cnss.admin", "admin.cashplus"):
        refused = world.client.get("/v1/audit/leaves?start=0&end=1", headers=world.auth(username))
        assert refused.status_code == 403


def test_closing_a_day_is_logged_and_signs_a_checkpoint(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    pay(terminal, enroll(terminal), 5_000, "CA-01")
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    recon.closer.close(today(clock), by="test")
    leaves = _leaves(world)
    kinds = [json.loads(leaf.data)["kind"] for leaf in leaves[-2:]]
    assert kinds == ["day_closed", "day_closed"]  # one per network
    latest = services.audit.latest_checkpoint()
    assert latest.size == len(leaves)


def test_the_log_refuses_to_sign_a_checkpoint_once_a_leaf_since_the_last_was_altered(
    world: World, terminal: TestTerminal
) -> None:
    pay(terminal, enroll(terminal), 5_000, "CA-01")
    world.services.audit.checkpoint()
    enroll(terminal)
    altered = _leaves(world)[-1]
    forged = altered.data.replace('"status":201', '"status":409', 1)
    assert forged != altered.data
    with Session(world.services.engine) as session:
        # Whoever edits a leaf must rehash it, or the edit shows at once.
        session.execute(
            update(AuditLeaf)
            .where(col(AuditLeaf.leaf_index) == altered.leaf_index)
            .values(data=forged, leaf_hash=merkle.leaf_hash(forged.encode()).hex())
        )
        session.commit()
    enroll(terminal)
    with pytest.raises(Conflict) as refused:
        world.services.audit.checkpoint()
    assert refused.value.code == "log_inconsistent"


def test_a_leaf_too_long_for_an_entry_bundle_is_refused_and_nothing_is_written(
    world: World,
) -> None:
    before = len(_leaves(world))
    with world.services.new_uow() as uow, pytest.raises(ValueError, match="over 65535"):
        audit_log.append(
            uow.session, "oversized", {"note": "x" * 70_000}, at=world.services.clock()
        )
    assert len(_leaves(world)) == before
    with world.services.new_uow() as uow:
        audit_log.append(uow.session, "ordinary", {"note": "x"}, at=world.services.clock())
        uow.commit()
    assert len(_leaves(world)) == before + 1
