"""``qurb-audit verify`` over deposits of AMO reimbursement files: a real day of deposits, a
cancellation, a transmittal slip and a CNSS tracking file verifies clean from an export of
the database; each tampering of that export a database administrator could try (a
cancellation of a deposit never made or made twice, a slip whose manifest was swapped, a
deposit sent twice or after its cancellation, a leaf that says more than it may, a tracking
file applied twice) is caught with a precise finding."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agent_api.domain.claims import TrackingStatus
from agent_api.protocol import merkle
from agent_api.protocol import tiles as tlog
from auditor.arguments import verifiers
from auditor.cli import main
from auditor.verify import verify
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import TrackingEvent, write_tracking
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import today, worker_payload

Doc = dict[str, Any]


def _deposit(terminal: TestTerminal, worker: str, cents: int) -> dict[str, Any]:
    response = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": "dental",
            "care_from": today().isoformat(),
            "amount_spent_centimes": cents,
            "documents": 2,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def day(world: World, terminal: TestTerminal) -> dict[str, Any]:
    """Three deposits, the third cancelled, the other two sent in one slip, and CNSS's
    tracking file saying the first was received; then a checkpoint."""
    enrolled = terminal.send("POST", "/v1/workers", worker_payload())
    assert enrolled.status_code == 201, enrolled.text
    worker = enrolled.json()["registration_number"]
    first, second, third = (_deposit(terminal, worker, c) for c in (11_100, 22_200, 33_300))
    cancelled = terminal.send(
        "POST",
        f"/v1/deposits/{third['deposit_number']}/cancellation",
        {
            "reason": "envelope handed back",
            "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
        },
    )
    assert cancelled.status_code == 201, cancelled.text
    slip = terminal.send("POST", "/v1/offices/current/transmittals", {})
    assert slip.status_code == 201, slip.text
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    received = TrackingEvent(
        event_id="V1",
        event_date=date(2026, 12, 9),
        network="CASHPLUS",
        slip_number=slip.json()["number"],
        deposit_number=first["deposit_number"],
        registration_number=worker,
        cnss_file_number="AMO26-0088123",
        status=TrackingStatus.RECEIVED,
        reimbursed_centimes=None,
        reason_code=None,
        reason_text=None,
    )
    recon.claims.apply(write_tracking([received]), source="CNSS_SUIVI_DOSSIERS_CASHPLUS_1.csv")
    services.audit.checkpoint()
    return {
        "worker": worker,
        "deposits": [first, second, third],
        "slip": slip.json(),
        "cancellation": cancelled.json(),
    }


def _exported(database_url: str, tmp_path: Path) -> Doc:
    out = tmp_path / "export.json"
    assert main(["export", "--database-url", database_url, "--output", str(out)]) == 0
    document: Doc = json.loads(out.read_text(encoding="utf-8"))
    return document


def _findings(world: World, document: Doc) -> list[str]:
    jwks = world.client.get("/v1/keys").json()
    key = world.services.audit.verifier_key()
    return verify(document, verifiers([key]), jwks).findings


def _bodies(document: Doc) -> list[dict[str, Any]]:
    return [json.loads(leaf["data"]) for leaf in document["leaves"]]


def _where(document: Doc, test: Callable[[dict[str, Any]], bool]) -> int:
    return next(i for i, body in enumerate(_bodies(document)) if test(body))


def _path(body: dict[str, Any]) -> str:
    return str((body.get("request") or {}).get("path", ""))


def _store(document: Doc, position: int, body: dict[str, Any]) -> None:
    """The leaf at ``position`` rewritten as the service writes one, its hash made again."""
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    leaf = document["leaves"][position]
    leaf["data"] = data
    leaf["leaf_hash"] = merkle.leaf_hash(data.encode()).hex()


def _append(document: Doc, body: dict[str, Any]) -> None:
    """A copy of ``body`` appended as the next leaf, under an entry id of its own."""
    leaves = document["leaves"]
    leaves.append({**leaves[-1], "index": len(leaves)})
    _store(document, len(leaves) - 1, {**body, "entry": secrets.token_hex(16)})


def test_a_day_of_deposits_a_slip_and_a_tracking_file_verifies_clean(
    world: World,
    day: dict[str, Any],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "export.json"
    assert main(["export", "--database-url", database_url, "--output", str(out)]) == 0
    jwks = tmp_path / "keys.json"
    jwks.write_text(world.client.get("/v1/keys").text)
    capsys.readouterr()

    status = main(
        ["verify", str(out), "--key", world.services.audit.verifier_key(), "--jwks", str(jwks)]
    )

    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "3 deposits checked: clean" in printed
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [t["number"] for t in exported["transmittals"]] == [day["slip"]["number"]]


def _cancel_a_deposit_never_made(document: Doc, day: dict[str, Any]) -> None:
    at = _where(document, lambda b: _path(b).endswith("/cancellation"))
    body = _bodies(document)[at]
    body["request"]["path"] = "/v1/deposits/D-CASHPLUS-09999999/cancellation"
    body["decision"]["reverses"] = "R-CASHPLUS-09999999"
    _store(document, at, body)


def _cancel_twice(document: Doc, day: dict[str, Any]) -> None:
    _append(document, _bodies(document)[_where(document, lambda b: "cancellation" in _path(b))])


def _cancel_another_deposit_than_named(document: Doc, day: dict[str, Any]) -> None:
    at = _where(document, lambda b: _path(b).endswith("/cancellation"))
    body = _bodies(document)[at]
    body["decision"]["reverses"] = day["deposits"][0]["slip"]["number"]
    _store(document, at, body)


def _swap_the_manifest(document: Doc, day: dict[str, Any]) -> None:
    [slip] = document["transmittals"]
    slip["manifest"] = day["cancellation"]["receipt"]["receipt"]  # a signed text, not it


def _resign(world: World, document: Doc, deposits: list[str], number: str | None = None) -> None:
    """The slip's manifest listing ``deposits``, signed by the hub's own key, its leaf's
    digest made to match: the forgery of someone who holds the database and the key."""
    import jwt  # noqa: PLC0415 - only this forgery reads the manifest

    at = _where(document, lambda b: _path(b) == "/v1/offices/current/transmittals")
    body = _bodies(document)[at]
    [slip] = document["transmittals"]
    claims = jwt.decode(slip["manifest"], options={"verify_signature": False})
    manifest = world.services.receipts.sign(
        {**claims, "deposits": deposits, "count": len(deposits)}, typ="qurb-transmittal+jwt"
    )
    if number is None:
        slip["manifest"] = manifest
        body["decision"]["manifest_sha256"] = hashlib.sha256(manifest.encode()).hexdigest()
        _store(document, at, body)
        return
    document["transmittals"].append({"number": number, "manifest": manifest})
    body["decision"]["transmittal"] = number
    body["decision"]["manifest_sha256"] = hashlib.sha256(manifest.encode()).hexdigest()
    _append(document, body)


TAMPERINGS: dict[str, tuple[Callable[[World, Doc, dict[str, Any]], None], str]] = {
    "cancel a deposit never made": (
        lambda w, d, day: _cancel_a_deposit_never_made(d, day),
        "cancels deposit D-CASHPLUS-09999999, which no earlier leaf records",
    ),
    "cancel a deposit twice": (lambda w, d, day: _cancel_twice(d, day), "is cancelled twice"),
    "cancel another slip than the path names": (
        lambda w, d, day: _cancel_another_deposit_than_named(d, day),
        "not deposit D-CASHPLUS-",
    ),
    "swap a slip's manifest": (
        lambda w, d, day: _swap_the_manifest(d, day),
        "its manifest is not the one the leaf's digest names (altered)",
    ),
    "send a cancelled deposit": (
        lambda w, d, day: _resign(w, d, [x["deposit_number"] for x in day["deposits"]]),
        "cancelled at leaf",
    ),
    "send a deposit never made": (
        lambda w, d, day: _resign(w, d, ["D-CASHPLUS-07777777"]),
        "sends deposit D-CASHPLUS-07777777, which no earlier leaf records",
    ),
    "send a deposit in two slips": (
        lambda w, d, day: _resign(
            w, d, [day["deposits"][0]["deposit_number"]], "B-CASHPLUS-000777"
        ),
        "already in slip " + "B-CASHPLUS-",
    ),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_each_tampering_of_the_deposits_is_caught_with_a_precise_finding(
    world: World, day: dict[str, Any], database_url: str, tmp_path: Path, name: str
) -> None:
    document = _exported(database_url, tmp_path)
    assert _findings(world, copy.deepcopy(document)) == []
    tamper, expected = TAMPERINGS[name]

    tamper(world, document, day)

    findings = _findings(world, document)
    assert any(expected in f for f in findings), findings


def test_a_leaf_that_says_more_than_it_may_about_a_deposit_or_a_tracking_file_is_a_finding(
    world: World, day: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    document = _exported(database_url, tmp_path)
    at = _where(document, lambda b: _path(b) == "/v1/deposits")
    deposit = _bodies(document)[at]
    deposit["decision"]["amount_centimes"] = 11_100  # what the care cost: never in a leaf
    _store(document, at, deposit)
    tracked = _where(document, lambda b: b.get("kind") == "tracking_file")
    tracking = _bodies(document)[tracked]
    _store(document, tracked, {**tracking, "registration_number": day["worker"]})

    findings = _findings(world, document)

    assert f"leaf {at}: a deposit leaf records amount_centimes: more than it may" in findings
    assert (
        f"leaf {tracked} (tracking file): records registration_number: more than a tracking "
        "file's leaf may"
    ) in findings


def test_a_tracking_file_applied_twice_or_malformed_is_a_finding(
    world: World, day: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    document = _exported(database_url, tmp_path)
    tracked = _where(document, lambda b: b.get("kind") == "tracking_file")
    tracking = _bodies(document)[tracked]
    _append(document, tracking)
    _append(document, {**tracking, "sha256": "not a digest", "new_events": 5, "events": 1})

    findings = _findings(world, document)

    size = len(document["leaves"])
    assert (
        f"leaf {size - 2} (tracking file): the file of leaf {tracked} applied a second time"
    ) in findings
    assert f"leaf {size - 1} (tracking file): its digest is not a SHA-256" in findings
    assert f"leaf {size - 1} (tracking file): records 5 new events out of 1" in findings


def test_the_tiles_alone_check_the_deposits_too(
    world: World,
    day: dict[str, Any],
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiles = tmp_path / "tiles"
    assert main(["export-tiles", "--database-url", database_url, "--output", str(tiles)]) == 0
    key = world.services.audit.verifier_key()
    capsys.readouterr()

    assert main(["verify-tiles", "--key", key, "--dir", str(tiles)]) == 0
    assert "3 deposits checked" in capsys.readouterr().out

    # The cancellation made to name a deposit never made, in the entries an export holds.
    [bundle] = [p for p in (tiles / "tile" / "entries").rglob("*") if p.is_file()]
    leaves = tlog.decode_bundle(bundle.read_bytes())
    at = next(i for i, leaf in enumerate(leaves) if b"/cancellation" in leaf)
    body = json.loads(leaves[at])
    body["request"]["path"] = "/v1/deposits/D-CASHPLUS-09999999/cancellation"
    body["decision"]["reverses"] = "R-CASHPLUS-09999999"
    leaves[at] = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    bundle.write_bytes(tlog.encode_bundle(leaves))

    assert main(["verify-tiles", "--key", key, "--dir", str(tiles)]) == 1
    printed = capsys.readouterr().out
    assert (
        f"leaf {at}: cancels deposit D-CASHPLUS-09999999, which no earlier leaf records"
    ) in printed
