"""Verifying an export of the audit log offline, with public keys alone.

Each problem is a finding: what is wrong and where, one per line. The checks:

- every leaf hashes to what is stored, the indexes are dense, and each leaf names its own
  index (a version 1 leaf) or an entry id no other leaf names (version 2: written by its
  transaction and given its index by the sequencer);
- the tree recomputed from the leaves' bytes has, at every checkpoint's size, the root the
  checkpoint states, and every checkpoint is signed by the log key the auditor trusts
  (a checkpoint larger than the export: the log was truncated);
- recorded times only move forward among version 1 leaves (one recorded before its
  predecessor was back-dated or moved); a version 2 leaf promises to be in a checkpoint by
  its ``log_by`` (at most ``MAX_MERGE_DELAY_SECONDS`` after it was recorded): a checkpoint
  signed after that time without it is a broken promise, and a leaf recorded after a
  checkpoint that holds it was signed was back-dated (checkpoints' ``signed_at``);
- per terminal, sequence numbers are unique and without gaps, and every signature verifies
  against the key the terminal held then; a key used after it was retired or revoked is a
  finding. The log's order decides: a rotation is signed by the key it retires, so the leaf
  recording it is that key's last legitimate use, and any later leaf signed by it is a
  finding (when the export does not hold that leaf, the key's ``retired_at`` does; a
  revocation likewise ends its terminal's keys). Requests that cover the operator's token
  (the log keeps only its hash) cannot be re-verified offline and are counted apart;
- every day's settlement adds up to the collections and reversals logged for it;
- the deposits of AMO reimbursement files, their cancellations, the transmittal slips that
  send them (with the manifests the export holds) and the tracking files applied hold
  together, and their leaves record nothing of the care or the worker (``deposits``).
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from agent_api.protocol import merkle
from agent_api.protocol import signatures as sig
from agent_api.protocol.checkpoint import MAX_MERGE_DELAY_SECONDS, NoteVerifier, open_checkpoint
from agent_api.protocol.cosignature import CosignerKey, require_quorum
from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.keys import public_raw_from_b64url
from auditor.deposits import check_deposits

_REVERSAL_SUFFIX = "/reversal"
_ENTRY_ID = re.compile(r"[0-9a-f]{32}")
MAX_MERGE_DELAY = timedelta(seconds=MAX_MERGE_DELAY_SECONDS)
# How far the clock of the process that recorded a leaf may be ahead of the sequencer's.
_CLOCK_SKEW = timedelta(minutes=5)
_ROTATION_PATH = "/v1/terminals/current/keys"


@dataclass
class Report:
    findings: list[str] = field(default_factory=list)
    leaves: int = 0
    checkpoints: int = 0
    signatures_verified: int = 0
    token_bound: int = 0
    settlements_checked: int = 0
    receipts_checked: int = 0
    deposits_checked: int = 0
    cosigned_by: int = 0  # trusted witnesses that cosigned the newest checkpoint

    def find(self, where: str, what: str) -> None:
        self.findings.append(f"{where}: {what}")

    @property
    def clean(self) -> bool:
        return not self.findings


def verify(
    document: dict[str, Any],
    trusted: Sequence[NoteVerifier],
    receipt_keys: dict[str, Any] | None = None,
    *,
    witnesses: Sequence[CosignerKey] = (),
    quorum: int = 0,
) -> Report:
    """Verify an export; with ``receipt_keys`` (the JWKS of GET /v1/keys, kept by the
    auditor) also every receipt it holds; with a ``quorum``, that many of ``witnesses``
    cosigned its newest checkpoint."""
    report = Report()
    if quorum:
        _check_witnesses(document.get("checkpoints", []), trusted, witnesses, quorum, report)
    leaves = document.get("leaves", [])
    start = int(document.get("start", 0))
    parsed = _check_leaves(leaves, start, report)
    if start == 0:
        _check_tree(leaves, document.get("checkpoints", []), trusted, report)
        _check_settlements(parsed, report)
        # An export from the service holds no manifests (the key is absent): the slips'
        # deposits are then left unchecked; one from a database holds them all.
        manifests = document.get("transmittals")
        report.deposits_checked = check_deposits(
            parsed,
            None if manifests is None else {m["number"]: m["manifest"] for m in manifests},
            receipt_keys,
            report.find,
        )
    _check_times(parsed, report)
    if start == 0:
        _check_promises(parsed, document.get("checkpoints", []), report)
    _check_signed_writes(parsed, document.get("terminal_keys", []), report)
    if receipt_keys is not None:
        _check_receipts(document.get("receipts", []), parsed, receipt_keys, report)
    return report


def _check_receipts(
    receipts: Sequence[dict[str, Any]],
    parsed: Sequence[tuple[int, dict[str, Any]]],
    jwks: dict[str, Any],
    report: Report,
) -> None:
    """Every receipt is signed by a published receipt key and names the leaf that records
    it (by its index, or by its entry id since the sequencer): a receipt the log does not
    hold was issued outside it."""
    keys = {
        k.get("kid"): jwt.PyJWK(k).key for k in jwks.get("keys", []) if k.get("crv") == "Ed25519"
    }
    leaves = dict(parsed)
    entries = {body["entry"]: index for index, body in parsed if isinstance(body.get("entry"), str)}
    for receipt in receipts:
        number = receipt.get("number")
        where = f"receipt {number}"
        try:
            kid = jwt.get_unverified_header(receipt["jws"]).get("kid")
            if kid not in keys:
                report.find(where, f"signed by key {kid}, which is not a published receipt key")
                continue
            claims = jwt.decode(receipt["jws"], keys[kid], algorithms=["EdDSA"])
        except jwt.InvalidTokenError as exc:
            report.find(where, f"its signature does not verify ({exc})")
            continue
        report.receipts_checked += 1
        if claims.get("receipt_number") != number:
            report.find(where, f"the signed receipt is {claims.get('receipt_number')}")
        named = claims.get("log_entry", claims.get("log_index"))
        index = entries.get(named) if isinstance(named, str) else named
        leaf = leaves.get(index) if isinstance(index, int) else None
        if leaf is None:
            report.find(where, f"names leaf {named}, which the export does not hold")
            continue
        recorded = (leaf.get("decision") or leaf).get("receipt")
        if recorded != number:
            report.find(where, f"leaf {index} records receipt {recorded} instead")


def _check_leaves(
    leaves: Sequence[dict[str, Any]], start: int, report: Report
) -> list[tuple[int, dict[str, Any]]]:
    parsed: list[tuple[int, dict[str, Any]]] = []
    expected = start
    seen: dict[str, int] = {}
    for leaf in leaves:
        index = int(leaf["index"])
        where = f"leaf {index}"
        if index != expected:
            report.find(where, f"expected leaf {expected} here: leaves are missing or reordered")
            expected = index
        expected += 1
        data = str(leaf["data"]).encode()
        if merkle.leaf_hash(data).hex() != leaf.get("leaf_hash"):
            report.find(where, "its bytes do not hash to the stored leaf hash (edited)")
        try:
            body = json.loads(data)
        except ValueError:
            report.find(where, "its bytes are not JSON")
            continue
        if not isinstance(body, dict):
            report.find(where, "its bytes are not a JSON object")
            continue
        if body.get("v", 1) == 1:
            if body.get("index") != index:
                report.find(where, f"its content names leaf {body.get('index')} (moved)")
        else:
            entry = body.get("entry")
            if not (isinstance(entry, str) and _ENTRY_ID.fullmatch(entry)):
                report.find(where, f"names no entry id ({entry!r})")
            elif entry in seen:
                report.find(where, f"entry {entry} is leaf {seen[entry]} already (logged twice)")
            else:
                seen[entry] = index
        parsed.append((index, body))
        report.leaves += 1
    return parsed


def _check_tree(
    leaves: Sequence[dict[str, Any]],
    checkpoints: Iterable[dict[str, Any]],
    trusted: Sequence[NoteVerifier],
    report: Report,
) -> None:
    by_size = sorted(checkpoints, key=lambda c: int(c["size"]))
    frontier = merkle.CompactRange()
    hashes = iter(merkle.leaf_hash(str(leaf["data"]).encode()) for leaf in leaves)
    for checkpoint in by_size:
        size = int(checkpoint["size"])
        where = f"checkpoint {size}"
        try:
            opened = open_checkpoint(str(checkpoint["note"]), trusted)
        except (ProtocolError, ValueError) as exc:
            report.find(where, f"not signed by a trusted log key ({exc})")
            continue
        report.checkpoints += 1
        if opened.size != size:
            report.find(where, f"its note states size {opened.size}")
        while frontier.size < opened.size:
            following = next(hashes, None)
            if following is None:
                break
            frontier.append(following)
        if frontier.size < opened.size:
            report.find(
                where,
                f"the log was truncated: {frontier.size} leaves, the checkpoint vouches for "
                f"{opened.size}",
            )
            return
        if frontier.root() != opened.root_hash:
            report.find(where, "the tree of the exported leaves has another root (altered)")


def _check_witnesses(
    checkpoints: Sequence[dict[str, Any]],
    trusted: Sequence[NoteVerifier],
    witnesses: Sequence[CosignerKey],
    quorum: int,
    report: Report,
) -> None:
    """The newest checkpoint the log signed must carry ``quorum`` cosignatures from the
    given witnesses (tlog-cosignature). Each earlier checkpoint is a prefix of the same tree
    (``_check_tree``), so the witnesses vouch for them through it. A newest checkpoint no
    quorum cosigned may be a history shown to this auditor alone."""
    signed = []
    for checkpoint in checkpoints:
        try:
            signed.append((open_checkpoint(str(checkpoint["note"]), trusted).size, checkpoint))
        except (ProtocolError, ValueError):
            continue  # reported by _check_tree
    if not signed:
        report.find("witnesses", "no checkpoint signed by the log to check cosignatures on")
        return
    size, newest = max(signed, key=lambda pair: pair[0])
    not_after = int(datetime.now(UTC).timestamp()) + 600  # a witness's clock may run ahead
    try:
        found = require_quorum(str(newest["note"]), witnesses, quorum, not_after=not_after)
    except ProtocolError as exc:
        report.find(f"checkpoint {size}", f"not witnessed: {exc.message}")
        return
    report.cosigned_by = len(found)


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_times(parsed: Sequence[tuple[int, dict[str, Any]]], report: Report) -> None:
    previous: datetime | None = None
    for index, body in parsed:
        at = _when(body.get("at"))
        if at is None:
            report.find(f"leaf {index}", "no recorded time")
            continue
        if body.get("v", 1) != 1:
            by = _when(body.get("log_by"))
            if by is None or not at <= by <= at + MAX_MERGE_DELAY:
                report.find(
                    f"leaf {index}",
                    f"promises to be in the log by {body.get('log_by')}: not within "
                    f"{MAX_MERGE_DELAY_SECONDS} s of its recorded time",
                )
            continue  # sequenced in batches: its neighbours may have been recorded later
        if previous is not None and at < previous:
            report.find(f"leaf {index}", f"recorded at {at.isoformat()}, before the leaf before it")
        previous = at if previous is None or at > previous else previous


def _check_promises(
    parsed: Sequence[tuple[int, dict[str, Any]]],
    checkpoints: Iterable[dict[str, Any]],
    report: Report,
) -> None:
    """Each checkpoint (with the time the log says it signed it) holds every leaf promised
    by then, and no leaf recorded after it (beyond a clock's skew)."""
    promised: list[tuple[int, datetime]] = []
    recorded: list[tuple[int, datetime]] = []
    for index, body in parsed:
        if body.get("v", 1) == 1:
            continue
        by, at = _when(body.get("log_by")), _when(body.get("at"))
        if by is not None:
            promised.append((index, by))
        if at is not None:
            recorded.append((index, at))
    # The earliest promise among the leaves from each position on (a suffix minimum).
    earliest: list[tuple[datetime, int]] = []
    for index, by in reversed(promised):
        earliest.append(min((by, index), earliest[-1]) if earliest else (by, index))
    earliest.reverse()
    latest_recorded: list[tuple[datetime, int]] = []
    for index, at in recorded:
        latest_recorded.append(
            max((at, index), latest_recorded[-1]) if latest_recorded else (at, index)
        )
    promised_at = [index for index, _ in promised]
    recorded_at = [index for index, _ in recorded]
    for checkpoint in checkpoints:
        signed_at = _when(checkpoint.get("signed_at"))
        if signed_at is None:
            continue
        size = int(checkpoint["size"])
        after = bisect.bisect_left(promised_at, size)
        if after < len(earliest) and earliest[after][0] <= signed_at:
            by, index = earliest[after]
            report.find(
                f"leaf {index}",
                f"promised to be in the log by {by.isoformat()}, not in checkpoint {size} "
                f"signed at {signed_at.isoformat()} (the log broke its promise)",
            )
        within = bisect.bisect_left(recorded_at, size)
        if within and latest_recorded[within - 1][0] > signed_at + _CLOCK_SKEW:
            at, index = latest_recorded[within - 1]
            report.find(
                f"leaf {index}",
                f"recorded at {at.isoformat()}, after checkpoint {size} that holds it was "
                f"signed at {signed_at.isoformat()} (back-dated checkpoint or forward-dated leaf)",
            )


def _check_signed_writes(
    parsed: Sequence[tuple[int, dict[str, Any]]],
    keys: Sequence[dict[str, Any]],
    report: Report,
) -> None:
    by_keyid = {k["keyid"]: k for k in keys}
    ends = _key_ends(parsed, keys)
    sequences: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, body in parsed:
        if body.get("kind") != "signed_write":
            continue
        where = f"leaf {index}"
        terminal = int(body.get("terminal_id", -1))
        sequences[terminal].append((int(body.get("sequence", -1)), index))
        evidence = body.get("request") or {}
        key = by_keyid.get(evidence.get("keyid"))
        if key is None or int(key["terminal_id"]) != terminal:
            report.find(
                where, f"signed with key {evidence.get('keyid')} that terminal {terminal} never had"
            )
            continue
        late = _used_after_retirement(index, body, key, ends)
        if late is not None:
            report.find(where, late)
        if "authorization" in evidence.get("covered", {}):
            report.token_bound += 1
            continue
        if _signature_holds(evidence, public_raw_from_b64url(key["public_key"])):
            report.signatures_verified += 1
        else:
            report.find(where, "the terminal's signature does not verify (request altered)")
    for terminal, seen in sorted(sequences.items()):
        numbers = sorted(s for s, _ in seen)
        for a, b in itertools.pairwise(numbers):
            if a == b:
                report.find(f"terminal {terminal}", f"sequence {a} logged twice")
            elif b > a + 1:
                report.find(f"terminal {terminal}", f"sequences {a + 1} to {b - 1} never logged")


def _key_ends(
    parsed: Sequence[tuple[int, dict[str, Any]]], keys: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Per key no longer active, the leaf that ended it, when the export holds it.

    A rotation is a write signed by the key it retires: the first accepted one a key signed
    is its last legitimate use. A terminal's revocation ends every key it still held. The
    log's order decides, not the clock: the service stamps the key's ``retired_at`` inside
    the transaction and the leaf when it is appended, a little later (or at the previous
    leaf's time, if that is later), so the leaf that retires a key is dated after it.
    """
    rotated: dict[str, int] = {}
    revoked: dict[int, int] = {}
    for index, body in parsed:
        kind = body.get("kind")
        if kind == "signed_write":
            evidence = body.get("request") or {}
            status = (body.get("decision") or {}).get("status")
            if (
                evidence.get("path") == _ROTATION_PATH
                and isinstance(status, int)
                and 200 <= status < 300
            ):
                rotated.setdefault(str(evidence.get("keyid")), index)
        elif kind == "terminal_revoked" and isinstance(body.get("terminal"), int):
            revoked.setdefault(body["terminal"], index)
    ends: dict[str, int] = {}
    for key in keys:
        keyid = str(key["keyid"])
        if key.get("status") == "retired" and keyid in rotated:
            ends[keyid] = rotated[keyid]
        elif key.get("status") == "revoked" and int(key["terminal_id"]) in revoked:
            ends[keyid] = revoked[int(key["terminal_id"])]
    return ends


def _used_after_retirement(
    index: int, body: dict[str, Any], key: dict[str, Any], ends: dict[str, int]
) -> str | None:
    """What is wrong with a leaf signed by ``key``, if the key was no longer its to use.

    With the leaf that ended the key in the export, any leaf after it is a finding; without
    it (an export that starts later, or a key whose end the log does not record), a leaf
    dated after the key's ``retired_at`` is."""
    retired = _when(key.get("retired_at"))
    status = key.get("status")
    end = ends.get(str(key["keyid"]))
    if end is not None:
        if index <= end:
            return None
        how = "rotated" if status == "retired" else "revoked"
        return f"key {key['keyid']} used after it was {status} (leaf {end} {how} it)"
    at = _when(body.get("at"))
    if retired is not None and at is not None and at > retired:
        return f"key {key['keyid']} used after it was {status} ({retired.isoformat()})"
    return None


def _signature_holds(evidence: dict[str, Any], public_raw: bytes) -> bool:
    headers = [(name, value) for name, value in evidence.get("covered", {}).items()]
    headers.append(("signature-input", f"qurb={evidence.get('signature_params', '')}"))
    headers.append(("signature", f"qurb=:{evidence.get('signature', '')}:"))
    request = sig.SignedRequest(
        method=str(evidence.get("method", "")),
        path=str(evidence.get("path", "")),
        query=str(evidence.get("query", "")),
        headers=sig.Headers(headers),
    )
    try:
        parsed = sig.parse_signature(request.headers)
        sig.verify_signature(parsed, request, public_raw)
    except (ProtocolError, ValueError):
        return False
    return True


def _check_settlements(parsed: Sequence[tuple[int, dict[str, Any]]], report: Report) -> None:
    gross: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    reversed_: defaultdict[tuple[str, str], int] = defaultdict(int)
    settlements = []
    for index, body in parsed:
        kind = body.get("kind")
        if kind == "settlement":
            settlements.append((index, body))
            continue
        decision = body.get("decision", body)
        receipt = decision.get("receipt")
        amount = decision.get("amount_centimes")
        day = decision.get("business_date")
        if not isinstance(receipt, str) or not isinstance(amount, int) or not isinstance(day, str):
            continue
        network = receipt.split("-")[1] if receipt.count("-") >= 2 else ""
        path = (body.get("request") or {}).get("path", "")
        if kind == "signed_write" and path.endswith(_REVERSAL_SUFFIX):
            reversed_[(network, day)] += amount
        elif (kind == "signed_write" and path == "/v1/contributions") or kind == "demo_history":
            totals = gross[(network, day)]
            totals[0] += 1
            totals[1] += amount
    for index, s in settlements:
        key = (s["network"], s["business_date"])
        count, amount = gross.get(key, [0, 0])
        where = f"leaf {index} (settlement {s.get('reference')})"
        report.settlements_checked += 1
        if (count, amount) != (s["collections"], s["gross_centimes"]):
            report.find(
                where,
                f"states {s['collections']} collections for {s['gross_centimes']} centimes; "
                f"the log holds {count} for {amount}",
            )
        if reversed_.get(key, 0) != s["reversed_centimes"]:
            report.find(
                where,
                f"states {s['reversed_centimes']} centimes reversed; the log "
                f"holds {reversed_.get(key, 0)}",
            )
        net = s["gross_centimes"] - s["reversed_centimes"] - s["commission_centimes"]
        if net != s["net_centimes"]:
            report.find(where, "its net is not gross − reversed − commission")
