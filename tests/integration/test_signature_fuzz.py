"""Hostile input: every mutation of a valid signed collection is refused, with the code its
kind of damage calls for, and none is ever recorded.

From one valid request (a collection, signed by an activated terminal with its operator's
token), each header, each covered component, the body, the key and the time are mutated one
way after another. The test keeps the counts tried and refused (as test properties in the
JUnit report), and proves the untouched request is then still accepted once.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.types import Message

from agent_api.persistence.tables import Contribution
from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.protocol.signatures import prepare_signed_headers
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import enroll
from tests.support.terminal import TestTerminal

PATH = "/v1/contributions"
AUTH_FAILURES = {
    "signature_invalid",
    "signature_coverage",
    "signature_missing",
    "malformed_signature",
    "signature_stale",
    "digest_mismatch",
    "digest_missing",
    "unknown_key",
    "token_invalid",
    "token_missing",
}


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


Mutation = Callable[[Request], Request]


def _signed(terminal: TestTerminal, body: bytes, sequence: int, created: int) -> Request:
    headers = prepare_signed_headers(
        method="POST",
        path=PATH,
        body=body,
        private_key=terminal.key,
        keyid=terminal.keyid,
        created=created,
        idempotency_key=str(sequence),
        authorization=f"Bearer {terminal.token}",
    )
    headers["Content-Type"] = "application/json"
    return Request("POST", PATH, body, headers)


def _set(name: str, value: str | None) -> Mutation:
    def mutate(r: Request) -> Request:
        headers = {k: v for k, v in r.headers.items() if k.lower() != name.lower()}
        if value is not None:
            headers[name] = value
        return Request(r.method, r.path, r.body, headers)

    return mutate


def _edit(name: str, change: Callable[[str], str]) -> Mutation:
    def mutate(r: Request) -> Request:
        return _set(name, change(r.headers[name]))(r)

    return mutate


def _flip_signature_byte(position: int) -> Mutation:
    def mutate(r: Request) -> Request:
        value = r.headers["Signature"]
        raw = bytearray(base64.b64decode(value.split(":")[1]))
        raw[position] ^= 0x01
        return _set("Signature", f"qurb=:{base64.b64encode(bytes(raw)).decode()}:")(r)

    return mutate


def _flip_body_byte(position: int) -> Mutation:
    def mutate(r: Request) -> Request:
        body = bytearray(r.body)
        body[position] ^= 0x01
        return Request(r.method, r.path, bytes(body), r.headers)

    return mutate


def _mutations(
    terminal: TestTerminal, body: bytes, sequence: int, created: int
) -> dict[str, Mutation]:
    other = Ed25519PrivateKey.generate()

    def resigned(**changes: object) -> Mutation:
        def mutate(r: Request) -> Request:
            args: dict[str, object] = {
                "method": "POST",
                "path": PATH,
                "body": body,
                "private_key": terminal.key,
                "keyid": terminal.keyid,
                "created": created,
                "idempotency_key": str(sequence),
                "authorization": f"Bearer {terminal.token}",
            }
            args.update(changes)
            headers = prepare_signed_headers(**args)  # type: ignore[arg-type]
            headers["Content-Type"] = "application/json"
            return Request(r.method, r.path, r.body, headers)

        return mutate

    found: dict[str, Mutation] = {
        # Each header dropped.
        **{
            f"drop {h}": _set(h, None)
            for h in ("Signature", "Signature-Input", "Content-Digest", "Qurb-Token-Digest")
        },
        "drop Authorization": _set("Authorization", None),
        "drop Idempotency-Key": _set("Idempotency-Key", None),
        # Each header changed.
        "another sequence number": _set("Idempotency-Key", str(sequence + 1)),
        "another token": _set("Authorization", f"Bearer {terminal.token}x"),
        "another token digest": _edit("Qurb-Token-Digest", lambda v: v.replace("=:", "A=:", 1)),
        "another content digest": _set("Content-Digest", "sha-256=:" + "A" * 43 + "=:"),
        "unsigned offline flag": _set("Qurb-Offline", "1"),
        "signature under another label": _edit("Signature", lambda v: "other" + v[4:]),
        "signature input under another label": _edit("Signature-Input", lambda v: "other" + v[4:]),
        "created moved a second": _edit(
            "Signature-Input", lambda v: v.replace(f"created={created}", f"created={created + 1}")
        ),
        "keyid of another key": _edit(
            "Signature-Input",
            lambda v: v.replace(terminal.keyid, keyid(public_key_raw(other))),
        ),
        "another algorithm": _edit(
            "Signature-Input", lambda v: v.replace("ed25519", "rsa-pss-sha512")
        ),
        "a component dropped from coverage": _edit(
            "Signature-Input", lambda v: v.replace(' "idempotency-key"', "")
        ),
        "truncated signature": _edit("Signature", lambda v: v[:20] + ":"),
        "garbage signature": _set("Signature", "qurb=:not base64!:"),
        # The body.
        **{
            f"body byte {i} flipped": _flip_body_byte(i) for i in (0, len(body) // 2, len(body) - 2)
        },
        "body with a trailing space": lambda r: Request(r.method, r.path, r.body + b" ", r.headers),
        # The signature bytes.
        **{f"signature byte {i} flipped": _flip_signature_byte(i) for i in (0, 31, 63)},
        # The components: method, path, query.
        "another path": lambda r: Request(r.method, PATH + "/x", r.body, r.headers),
        "a query added": lambda r: Request(r.method, PATH + "?x=1", r.body, r.headers),
        "another method": lambda r: Request("PUT", r.path, r.body, r.headers),
        # The key: a well-formed signature by a key the terminal never registered.
        "signed by another key (own keyid)": resigned(private_key=other),
        "signed by another key (its keyid)": resigned(
            private_key=other, keyid=keyid(public_key_raw(other))
        ),
        # The time.
        "signed an hour ago": resigned(created=created - 3600),
        "signed an hour ahead": resigned(created=created + 3600),
        "offline but a week old": resigned(created=created - 7 * 86_400, offline="1"),
    }
    return found


def test_every_mutation_of_a_signed_collection_is_refused_and_none_is_recorded(
    world: World,
    terminal: TestTerminal,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    worker = enroll(terminal)
    body = json.dumps({"registration_number": worker, "amount_centimes": 5_000}).encode()
    sequence = terminal.next_sequence()
    created = int(clock().timestamp())
    valid = _signed(terminal, body, sequence, created)
    mutations = _mutations(terminal, body, sequence, created)
    accepted = []
    codes: dict[str, str] = {}
    for name, mutate in mutations.items():
        r = mutate(valid)
        response = world.client.request(r.method, r.path, content=r.body, headers=r.headers)
        if response.status_code < 400:
            accepted.append(name)
            continue
        codes[name] = response.json()["error"]["code"]
        assert response.status_code in (400, 401, 404, 405, 409, 422), (name, response.text)
    record_property("mutations_tried", len(mutations))
    record_property("mutations_refused", len(mutations) - len(accepted))
    assert accepted == []
    assert len(mutations) >= 30
    # Damage to what the signature protects is refused as an authentication failure.
    signature_damage = {n: c for n, c in codes.items() if c not in AUTH_FAILURES}
    assert set(signature_damage) <= {
        "another path",
        "a query added",
        "another method",
        "drop Idempotency-Key",
    }, signature_damage
    with Session(world.services.engine) as session:
        assert session.exec(select(func.count()).select_from(Contribution)).one() == 0
    # The untouched request still goes through, once.
    response = world.client.request("POST", PATH, content=valid.body, headers=valid.headers)
    assert response.status_code == 201, response.text


def test_a_signature_covering_the_token_itself_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    # An older client signing Authorization directly would put a secret in the audit log.
    body = b'{"registration_number":"0000000013","amount_centimes":5000}'
    created = int(clock().timestamp())
    headers = _signed(terminal, body, terminal.next_sequence(), created).headers
    params = headers["Signature-Input"]
    headers["Signature-Input"] = params.replace('"qurb-token-digest"', '"authorization"')
    response = world.client.request("POST", PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_coverage"
    assert "authorization" in response.json()["error"]["message"]


# Bytes a header may carry that are not ASCII; some are digits to ``str.isdigit()`` once
# decoded as Latin-1 (``"²"``, ``"³"``, ``"¹"``) but not to ``int()``.
HIGH_BYTES = [bytes([b]) for b in range(0x80, 0x100)]
HEADERS = (
    "Idempotency-Key",
    "Qurb-Offline",
    "Content-Digest",
    "Signature-Input",
    "Signature",
    "Qurb-Token-Digest",
    "Authorization",
    "X-Request-ID",
)


def _send(world: World, r: Request, raw: dict[str, bytes]) -> tuple[int, dict[str, Any]]:
    """``r`` with the ``raw`` header bytes as they come off the wire. Starlette's test client
    re-encodes header values as UTF-8, so the app is called as the server would call it."""
    names = {name.lower() for name in raw}
    headers = [
        (k.lower().encode(), v.encode()) for k, v in r.headers.items() if k.lower() not in names
    ]
    headers += [(name.lower().encode(), value) for name, value in raw.items()]
    headers.append((b"content-length", str(len(r.body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": r.method,
        "scheme": "http",
        "path": r.path,
        "raw_path": r.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": r.body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(world.client.app, scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body) if body else {}


def test_a_header_byte_that_is_no_ascii_digit_is_refused_naming_the_header_never_a_500(
    world: World,
    terminal: TestTerminal,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    """Issue 16: ``Idempotency-Key: \\xb2`` passed ``str.isdigit()`` and crashed ``int()``:
    a 500 and a traceback, from a request whose signature was never checked."""
    body = b'{"registration_number":"0000000013","amount_centimes":5000}'
    created = int(clock().timestamp())
    statuses: Counter[int] = Counter()
    signed = _signed(terminal, body, 1, created)
    for high in HIGH_BYTES:
        for key in (high, b"1" + high, high + b"1", b"1" + high + b"2"):
            # The signature over another key never gets checked: the key is read first.
            status, answer = _send(world, signed, {"Idempotency-Key": key})
            statuses[status] += 1
            assert status == 422, (key, answer)
            assert answer["error"]["field"] == "Idempotency-Key"
    valid = _signed(terminal, body, terminal.next_sequence(), created)
    for name in HEADERS:
        for high in HIGH_BYTES:
            value = valid.headers.get(name, "1").encode("latin-1")
            status, answer = _send(world, valid, {name: value[:3] + high + value[3:]})
            statuses[status] += 1
            # A request id is not covered by the signature: a bad one is replaced, not refused.
            assert status < 500, (name, high, answer)
            assert status >= 400 or name == "X-Request-ID", (name, high, answer)
    admin = world.auth("cnss.admin")["Authorization"].encode()
    listing = Request("GET", "/v1/admin/users", b"", {})
    for high in HIGH_BYTES:
        # A valid token with a stray byte after it is not that token: only SP and HTAB are
        # whitespace in a header (RFC 9110 §5.6.3), NEL and NBSP are not.
        for value in (admin[:9] + high + admin[9:], b"Bearer " + high, admin + high):
            status, answer = _send(world, listing, {"Authorization": value})
            statuses[status] += 1
            assert status == 401, (high, answer)
    record_property("hostile_header_requests", sum(statuses.values()))
    record_property("hostile_header_statuses", dict(sorted(statuses.items())))
    assert 500 not in statuses
