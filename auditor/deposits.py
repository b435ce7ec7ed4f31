"""Checking the deposits of AMO reimbursement files in an export of the audit log
(docs/deposits.md, docs/audit.md), from the leaves and the transmittal manifests alone.

A deposit, its cancellation and a transmittal slip are signed writes; their leaves record
what the write decided and nothing of the care or the person:

- a deposit (``POST /v1/deposits``): the slip's receipt number ``R-<NET>-<n>`` (its envelope
  is ``D-<NET>-<n>``, the same row id) and the business date;
- a cancellation (``POST /v1/deposits/<D-…>/cancellation``): its own receipt number, the
  slip's receipt number it cancels (``reverses``) and the business date;
- a transmittal slip (``POST /v1/offices/current/transmittals``): the slip's number
  ``B-<NET>-<6 digits>``, the SHA-256 of its signed manifest and the business date. The
  manifest (exported beside the leaves) lists the deposit numbers.

The checks: every cancellation names a deposit the log recorded before it, the one its path
names, and no deposit is cancelled twice; every manifest is the one its leaf's digest names,
signed by a published receipt key when the keys are given, and each of its deposits was
recorded before the slip, on the slip's business day, in no other slip and not cancelled
before it; every ``tracking_file`` leaf (a CNSS tracking file applied) is well-formed and
no file is applied twice; and no leaf of these kinds records more than those facts: a fact
beyond them could reveal the care or the worker.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

_DEPOSITS = "/v1/deposits"
_CANCELLATION = re.compile(r"/v1/deposits/(D-[A-Z][A-Z0-9]{1,11}-[0-9]{8})/cancellation")
_TRANSMITTALS = "/v1/offices/current/transmittals"
_RECEIPT = re.compile(r"R-([A-Z][A-Z0-9]{1,11})-([0-9]{8})")
_DEPOSIT = re.compile(r"D-([A-Z][A-Z0-9]{1,11})-([0-9]{8})")
_SLIP = re.compile(r"B-[A-Z][A-Z0-9]{1,11}-[0-9]{6}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What each kind of leaf may say it decided; anything more could say what care, whose.
DECIDED: dict[str, frozenset[str]] = {
    "deposit": frozenset({"status", "response_sha256", "receipt", "business_date"}),
    "deposit_cancel": frozenset(
        {"status", "response_sha256", "receipt", "reverses", "business_date"}
    ),
    "transmittal": frozenset(
        {"status", "response_sha256", "transmittal", "manifest_sha256", "business_date"}
    ),
}
# A tracking file's leaf: the envelope every leaf has, then the file's name, digest, counts.
_ENVELOPE = frozenset({"v", "entry", "index", "kind", "at", "log_by"})
_TRACKING_FACTS = frozenset({"name", "sha256", "events", "new_events", "opened", "cleared"})
_MAX_NAME = 255

Find = Callable[[str, str], None]


@dataclass
class Deposits:
    """What the log says of the deposits, by the leaf that says it."""

    deposits: dict[str, tuple[int, str]] = field(default_factory=dict)  # D-… → (leaf, day)
    cancelled: dict[str, int] = field(default_factory=dict)  # D-… → the cancellation's leaf
    slips: list[tuple[int, str, str, str]] = field(default_factory=list)  # leaf, B-…, sha, day
    checked: int = 0


def check_deposits(
    parsed: Sequence[tuple[int, dict[str, Any]]],
    manifests: Mapping[str, str] | None,
    receipt_keys: Mapping[str, Any] | None,
    find: Find,
) -> int:
    """Check the deposits, cancellations, transmittal slips and tracking files the leaves
    record; ``manifests`` (slip number → signed manifest) when the export holds them. The
    number of deposit leaves checked."""
    seen = Deposits()
    for index, body in parsed:
        if body.get("kind") == "tracking_file":
            _check_tracking_leaf(index, body, find)
            continue
        kind = _kind_of(body)
        if kind is None:
            continue
        decision = body.get("decision") or {}
        extra = sorted(set(decision) - DECIDED[kind])
        if extra:
            find(f"leaf {index}", f"a {kind} leaf records {', '.join(extra)}: more than it may")
        if kind == "deposit":
            _deposit(index, decision, seen, find)
        elif kind == "deposit_cancel":
            _cancellation(index, body, decision, seen, find)
        else:
            _slip(index, decision, seen, find)
    _check_duplicate_files(parsed, find)
    if manifests is not None:
        _check_slips(seen, manifests, receipt_keys, find)
    return seen.checked


def concerns_deposits(body: Mapping[str, Any]) -> bool:
    """Whether ``check_deposits`` reads this leaf: a tracking file's, or a signed write to a
    deposit's path (accepted or not). Reading the tiles, only these are kept in memory."""
    if body.get("kind") == "tracking_file":
        return True
    request = body.get("request")
    path = str(request.get("path", "")) if isinstance(request, Mapping) else ""
    return body.get("kind") == "signed_write" and (
        path.startswith(_DEPOSITS) or path == _TRANSMITTALS
    )


def _kind_of(body: Mapping[str, Any]) -> str | None:
    """Which deposit write an accepted signed write is; None for any other leaf."""
    if body.get("kind") != "signed_write":
        return None
    status = (body.get("decision") or {}).get("status")
    if not (isinstance(status, int) and 200 <= status < 300):
        return None  # a refusal decided nothing
    path = str((body.get("request") or {}).get("path", ""))
    if path == _DEPOSITS:
        return "deposit"
    if _CANCELLATION.fullmatch(path):
        return "deposit_cancel"
    if path == _TRANSMITTALS:
        return "transmittal"
    return None


def _envelope_of(receipt: Any) -> str | None:
    """The envelope ``D-<NET>-<n>`` of the slip receipt ``R-<NET>-<n>``."""
    found = _RECEIPT.fullmatch(receipt) if isinstance(receipt, str) else None
    return f"D-{found[1]}-{found[2]}" if found else None


def _deposit(index: int, decision: Mapping[str, Any], seen: Deposits, find: Find) -> None:
    number = _envelope_of(decision.get("receipt"))
    day = decision.get("business_date")
    if number is None or not (isinstance(day, str) and _DAY.fullmatch(day)):
        find(f"leaf {index}", "a deposit leaf names no slip receipt R-… and business day")
        return
    if number in seen.deposits:
        find(f"leaf {index}", f"deposit {number} is leaf {seen.deposits[number][0]} already")
        return
    seen.deposits[number] = (index, day)
    seen.checked += 1


def _cancellation(
    index: int,
    body: Mapping[str, Any],
    decision: Mapping[str, Any],
    seen: Deposits,
    find: Find,
) -> None:
    where = f"leaf {index}"
    named = _CANCELLATION.fullmatch(str((body.get("request") or {}).get("path", "")))
    number = named[1] if named else None
    cancels = _envelope_of(decision.get("reverses"))
    if cancels != number:
        find(where, f"cancels slip {decision.get('reverses')}, not deposit {number}'s")
        return
    assert number is not None
    if number not in seen.deposits:
        find(where, f"cancels deposit {number}, which no earlier leaf records")
    if number in seen.cancelled:
        find(where, f"deposit {number} is cancelled twice (leaf {seen.cancelled[number]} first)")
        return
    seen.cancelled[number] = index


def _slip(index: int, decision: Mapping[str, Any], seen: Deposits, find: Find) -> None:
    number, digest = decision.get("transmittal"), decision.get("manifest_sha256")
    day = decision.get("business_date")
    if not (
        isinstance(number, str)
        and _SLIP.fullmatch(number)
        and isinstance(digest, str)
        and _SHA256.fullmatch(digest)
        and isinstance(day, str)
    ):
        find(f"leaf {index}", "a transmittal leaf names no slip B-…, manifest digest and day")
        return
    seen.slips.append((index, number, digest, day))


def _check_slips(
    seen: Deposits,
    manifests: Mapping[str, str],
    receipt_keys: Mapping[str, Any] | None,
    find: Find,
) -> None:
    sent: dict[str, str] = {}
    for index, number, digest, day in seen.slips:
        where = f"leaf {index} (slip {number})"
        manifest = manifests.get(number)
        if manifest is None:
            find(where, "the export holds no manifest for it")
            continue
        if hashlib.sha256(manifest.encode()).hexdigest() != digest:
            find(where, "its manifest is not the one the leaf's digest names (altered)")
            continue
        claims = _manifest_claims(manifest, receipt_keys)
        if claims is None:
            find(where, "its manifest is not signed by a published receipt key")
            continue
        deposits = claims.get("deposits")
        if not (isinstance(deposits, list) and claims.get("count") == len(deposits)):
            find(where, "its manifest's deposits and count disagree")
            continue
        for deposit in map(str, deposits):
            for problem in _sent_wrongly(index, deposit, day, seen, sent):
                find(where, problem)
            sent.setdefault(deposit, number)


def _sent_wrongly(
    index: int, deposit: str, day: str, seen: Deposits, sent: Mapping[str, str]
) -> list[str]:
    """What is wrong with a slip at leaf ``index`` of ``day`` sending ``deposit``."""
    problems = []
    recorded = seen.deposits.get(deposit)
    if not _DEPOSIT.fullmatch(deposit) or recorded is None or recorded[0] > index:
        problems.append(f"sends deposit {deposit}, which no earlier leaf records")
    elif recorded[1] != day:
        problems.append(f"sends deposit {deposit} of {recorded[1]} in a slip of {day}")
    if deposit in sent:
        problems.append(f"sends deposit {deposit}, already in slip {sent[deposit]}")
    cancelled = seen.cancelled.get(deposit)
    if cancelled is not None and cancelled < index:
        problems.append(f"sends deposit {deposit}, cancelled at leaf {cancelled} before it")
    return problems


def _manifest_claims(manifest: str, keys: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The manifest's claims; with ``keys`` (a JWKS), only once its signature holds."""
    try:
        if keys is None:
            claims: dict[str, Any] = jwt.decode(manifest, options={"verify_signature": False})
            return claims
        published = {
            k.get("kid"): jwt.PyJWK(k).key
            for k in keys.get("keys", [])
            if k.get("crv") == "Ed25519"
        }
        kid = jwt.get_unverified_header(manifest).get("kid")
        if kid not in published:
            return None
        # A manifest is a statement, not a token: its iat is never stale.
        verified: dict[str, Any] = jwt.decode(
            manifest, published[kid], algorithms=["EdDSA"], options={"verify_iat": False}
        )
    except jwt.InvalidTokenError:
        return None
    return verified


def _check_tracking_leaf(index: int, body: Mapping[str, Any], find: Find) -> None:
    where = f"leaf {index} (tracking file)"
    extra = sorted(set(body) - _ENVELOPE - _TRACKING_FACTS)
    if extra:
        find(where, f"records {', '.join(extra)}: more than a tracking file's leaf may")
    name = body.get("name")
    if not (
        isinstance(name, str)
        and 0 < len(name) <= _MAX_NAME
        and "/" not in name
        and "\\" not in name
        and name.isprintable()
    ):
        find(where, "its file name is not a plain file name")
    if not (isinstance(body.get("sha256"), str) and _SHA256.fullmatch(body["sha256"])):
        find(where, "its digest is not a SHA-256")
    counts = [body.get(k) for k in ("events", "new_events", "opened", "cleared")]
    whole = [c for c in counts if type(c) is int and c >= 0]
    if len(whole) != len(counts):
        find(where, "its counts are not whole numbers of events")
    elif whole[1] > whole[0]:
        find(where, f"records {whole[1]} new events out of {whole[0]}")


def _check_duplicate_files(parsed: Sequence[tuple[int, dict[str, Any]]], find: Find) -> None:
    """A tracking file applied again adds nothing and leaves no second leaf."""
    applied: dict[str, int] = {}
    for index, body in parsed:
        digest = body.get("sha256")
        if body.get("kind") != "tracking_file" or not isinstance(digest, str):
            continue
        if digest in applied:
            find(
                f"leaf {index} (tracking file)",
                f"the file of leaf {applied[digest]} applied a second time",
            )
        applied.setdefault(digest, index)
