"""Issue 16, item 3: the audit log keeps the digest of every signed body (the terminal's
signature covers it), so an auditor re-verifies every signature; a body carrying personal
data or a password also carries the terminal's random salt, so that digest gives nothing
back to someone who tries the few values it could hold.

The attacks, as the issue ran them: take a lookup's leaf, read the CIN's last digits from the
worker's masked CIN, hash ``{"cin": candidate}`` for every candidate and compare with the
leaf's ``content-digest``. Run here against real leaves, bounded to under 200,000
candidates; the same search against the unsalted body finds the CIN, so the test would
fail if the salt were not there. The same dictionary attack runs against an operator's
sign-in (an unsalted digest of a predictable username and its password), a reversal's
supervisor password and a payer's phone.
"""

from __future__ import annotations

import json
import random
import secrets
import string
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import pytest
from sqlmodel import Session, col, select

from agent_api.domain.identity import mask_cin
from agent_api.persistence.tables import AuditLeaf, Contribution
from agent_api.protocol.digest import content_digest
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

CIN = "JT385026"
# Where the search looks: a first letter among those of the most populous prefixes, any
# second letter, any three digits, then the three digits the masked CIN shows.
FIRST_LETTERS = "ABCDJKT"


def _candidates(masked: str) -> Iterator[str]:
    suffix = masked[-3:]
    for first in FIRST_LETTERS:
        for second in string.ascii_uppercase:
            for middle in range(1000):
                yield f"{first}{second}{middle:03d}{suffix}"


def _search(
    digest: str, masked: str, body_of: Callable[[str], dict[str, object]]
) -> tuple[str | None, int]:
    """The candidate whose body, in any of the usual JSON spellings, has ``digest``."""
    tried = 0
    for candidate in _candidates(masked):
        body = body_of(candidate)
        for spelled in (json.dumps(body), json.dumps(body, separators=(",", ":"))):
            tried += 1
            if content_digest(spelled.encode()) == digest:
                return candidate, tried
    return None, tried


def _last_leaf(world: World) -> dict[str, object]:
    with Session(world.services.engine) as session:
        leaf = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index).desc())).first()
    assert leaf is not None
    data: dict[str, object] = json.loads(leaf.data)
    return data


def _digest_in(leaf: dict[str, object]) -> str:
    request = leaf["request"]
    assert isinstance(request, dict)
    digest: str = request["covered"]["content-digest"]
    return digest


def test_a_cin_lookup_leaf_gives_nothing_to_a_search_of_the_masked_cins_candidates(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    assert terminal.send("POST", "/v1/workers", worker_payload(cin=CIN)).status_code == 201
    body = {"cin": CIN, "salt": secrets.token_urlsafe(16)}
    found = terminal.send("POST", "/v1/workers/lookup", body)
    assert found.status_code == 200, found.text
    masked = found.json()["worker"]["cin_masked"]
    leaf = _last_leaf(world)
    digest = _digest_in(leaf)
    assert leaf["request"]["path"] == "/v1/workers/lookup"  # type: ignore[index]
    # The leaf still commits to the exact body the terminal signed: an auditor handed the
    # body checks it, and the signature verifies from the leaf alone (test_audit_tool).
    assert digest == content_digest(json.dumps(body).encode())

    recovered, tried = _search(digest, masked, lambda c: {"cin": c})
    record_property("lookup_candidates_tried", tried)
    assert tried <= 400_000  # two spellings of fewer than 200,000 candidates
    assert recovered is None

    # The same search against the body as it was before the salt: found, so the search is
    # one that works, and only the salt defeats it.
    unsalted = content_digest(json.dumps({"cin": CIN}).encode())
    again, tried_unsalted = _search(unsalted, masked, lambda c: {"cin": c})
    record_property("unsalted_candidates_tried", tried_unsalted)
    assert again == CIN


def test_an_enrollment_leaf_gives_nothing_even_to_someone_who_knows_every_other_field(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    payload = worker_payload(cin=CIN)
    sent = {**payload, "salt": secrets.token_urlsafe(16)}
    response = terminal.send("POST", "/v1/workers", sent)
    assert response.status_code == 201, response.text
    digest = _digest_in(_last_leaf(world))
    assert digest == content_digest(json.dumps(sent).encode())

    recovered, tried = _search(digest, mask_cin(CIN), lambda c: {**payload, "cin": c})
    record_property("enrollment_candidates_tried", tried)
    assert recovered is None
    unsalted = content_digest(json.dumps(payload).encode())
    assert _search(unsalted, mask_cin(CIN), lambda c: {**payload, "cin": c})[0] == CIN


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/workers/lookup", {"cin": CIN}),
        ("POST", "/v1/workers", worker_payload(cin=CIN)),
        ("PATCH", "/v1/workers/0000000018", {"city": "Fès"}),
    ],
)
def test_a_body_with_personal_data_and_no_salt_is_refused_naming_the_salt(
    terminal: TestTerminal, method: str, path: str, body: dict[str, object]
) -> None:
    refused = terminal.send(method, path, body, salted=False)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "salt"


@pytest.mark.parametrize(
    "salt",
    [
        "short",
        "A" * 21,  # 21 characters: 15 bytes, under 128 bits
        "not base64url at all!!!!",
        "q7Xb0cJ3kR9vLm2TzW8yF=",  # padding is not base64url as the protocol writes it
    ],
)
def test_a_salt_under_128_bits_or_not_base64url_is_refused(
    terminal: TestTerminal, salt: str
) -> None:
    refused = terminal.send("POST", "/v1/workers/lookup", {"cin": CIN, "salt": salt})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "salt"


@pytest.mark.parametrize(
    "salt", [secrets.token_urlsafe(16), secrets.token_hex(16)], ids=["base64url", "hex"]
)
def test_a_salt_of_22_base64url_characters_or_32_hex_digits_is_accepted(
    terminal: TestTerminal, salt: str
) -> None:
    assert terminal.send("POST", "/v1/workers", worker_payload(cin=CIN)).status_code == 201
    found = terminal.send("POST", "/v1/workers/lookup", {"cin": CIN, "salt": salt})
    assert found.status_code == 200, found.text


# -- Sign-in, reversal and collection: a password or a phone, not a CIN --------------------

# Ten words a password list starts with, each with 1,000 endings: 10,000 guesses, one of which
# is replaced by the real password (an attacker's list that holds it, as the issue assumed).
WORDS = ("password", "azerty", "maroc", "casa", "rabat", "soleil", "cnss", "qurb", "bonjour")
DICTIONARY_SIZE = 10_000
PAYER_PHONE = "0661223344"
# The predictable usernames of the office the leaf's terminal belongs to (docs/admin.md).
OFFICE_STAFF = ("op.ca-01", "sup.ca-01", "sup2.ca-01")


def _dictionary() -> list[str]:
    guesses = [f"{word} {n}" for word in (*WORDS, "correct horse") for n in range(1000)]
    assert len(guesses) == DICTIONARY_SIZE
    guesses[random.randrange(DICTIONARY_SIZE)] = PASSWORD  # noqa: S311 - where, not a secret
    return guesses


def _spellings(body: dict[str, object]) -> set[bytes]:
    """The bytes a client could have sent for ``body``: either key order at the top, Python's
    default and compact separators, non-ASCII escaped or not (the counter writes it raw)."""
    orders = (body, dict(reversed(body.items())))
    return {
        json.dumps(ordered, separators=separators, ensure_ascii=ascii_only).encode()
        for ordered in orders
        for separators in (None, (",", ":"))
        for ascii_only in (True, False)
    }


T = TypeVar("T")


def _attack(
    digest: str, candidates: Iterable[T], body_of: Callable[[T], dict[str, object]]
) -> tuple[list[T], int]:
    """The candidates whose body, in any spelling a client could use, has ``digest`` (the
    search stops at the first), and how many bodies were tried."""
    tried = 0
    for candidate in candidates:
        for spelled in _spellings(body_of(candidate)):
            tried += 1
            if content_digest(spelled) == digest:
                return [candidate], tried
    return [], tried


def _signed_leaf(world: World, path: str) -> dict[str, object]:
    """The newest leaf of a signed write to ``path``."""
    with Session(world.services.engine) as session:
        leaves = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index).desc()))
        for leaf in leaves:
            data: dict[str, object] = json.loads(leaf.data)
            request = data.get("request")
            signed = data.get("kind") == "signed_write" and isinstance(request, dict)
            if signed and request["path"] == path:  # type: ignore[index]
                return data
    raise AssertionError(f"no signed write to {path} in the log")


def _enrolled(terminal: TestTerminal) -> str:
    enrolled = terminal.send("POST", "/v1/workers", worker_payload(cin=CIN))
    assert enrolled.status_code == 201, enrolled.text
    number: str = enrolled.json()["registration_number"]
    return number


def test_a_sign_in_leaf_gives_no_password_to_a_dictionary_attack_on_the_offices_usernames(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    sent = {"username": "op.ca-01", "password": PASSWORD, "salt": secrets.token_urlsafe(16)}
    signed_in = terminal.send("POST", "/v1/sessions", sent, authenticated=False)
    assert signed_in.status_code == 201, signed_in.text
    digest = _digest_in(_signed_leaf(world, "/v1/sessions"))
    assert digest == content_digest(json.dumps(sent).encode())

    guesses = [(user, word) for user in OFFICE_STAFF for word in _dictionary()]
    recovered, tried = _attack(digest, guesses, lambda g: {"username": g[0], "password": g[1]})
    record_property("sign_in_guesses_tried", tried)
    assert tried >= len(OFFICE_STAFF) * DICTIONARY_SIZE
    assert recovered == []

    # The body as the counter sent it before the salt: the same attack finds the password.
    unsalted = {"username": "op.ca-01", "password": PASSWORD}
    before = content_digest(json.dumps(unsalted, ensure_ascii=False).encode())
    found, _ = _attack(before, guesses, lambda g: {"username": g[0], "password": g[1]})
    assert found == [("op.ca-01", PASSWORD)]


def test_a_reversal_leaf_gives_no_supervisor_password_to_a_dictionary_attack(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    number = _enrolled(terminal)
    paid = terminal.send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 1_000}
    )
    assert paid.status_code == 201, paid.text
    path = f"/v1/contributions/{paid.json()['receipt']['number']}/reversal"

    # The attacker knows the reason (the reversal shows it) and the office's supervisors.
    def body_of(guess: tuple[str, str]) -> dict[str, object]:
        return {
            "reason": "wrong amount",
            "supervisor": {"username": guess[0], "password": guess[1]},
        }

    sent = {**body_of(("sup.ca-01", PASSWORD)), "salt": secrets.token_urlsafe(16)}
    reversed_ = terminal.send("POST", path, sent)
    assert reversed_.status_code == 201, reversed_.text
    digest = _digest_in(_signed_leaf(world, path))
    assert digest == content_digest(json.dumps(sent).encode())

    guesses = [(user, word) for user in OFFICE_STAFF[1:] for word in _dictionary()]
    recovered, tried = _attack(digest, guesses, body_of)
    record_property("reversal_guesses_tried", tried)
    assert recovered == []
    before = content_digest(json.dumps(body_of(("sup.ca-01", PASSWORD))).encode())
    assert _attack(before, guesses, body_of)[0] == [("sup.ca-01", PASSWORD)]


def test_a_collection_leaf_gives_no_payer_phone_to_a_search_of_its_number_block(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    number = _enrolled(terminal)
    paid = {"registration_number": number, "amount_centimes": 1_000, "payer_phone": PAYER_PHONE}
    sent = {**paid, "salt": secrets.token_urlsafe(16)}
    collected = terminal.send("POST", "/v1/contributions", sent)
    assert collected.status_code == 201, collected.text
    digest = _digest_in(_signed_leaf(world, "/v1/contributions"))
    assert digest == content_digest(json.dumps(sent).encode())

    # The attacker knows the number and the amount (the receipt shows both) and has narrowed
    # the phone to one block of 10,000 numbers, written nationally or in E.164.
    block = [f"066122{n:04d}" for n in range(10_000)]
    phones = [spelled for phone in block for spelled in (phone, f"+212{phone[1:]}")]
    recovered, tried = _attack(digest, phones, lambda p: {**paid, "payer_phone": p})
    record_property("payer_phone_candidates_tried", tried)
    assert recovered == []
    before = content_digest(json.dumps(paid).encode())
    assert _attack(before, phones, lambda p: {**paid, "payer_phone": p})[0] == [PAYER_PHONE]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/sessions", {"username": "op.ca-01", "password": PASSWORD}),
        (
            "/v1/contributions/R-CASHPLUS-CA-01-000001/reversal",
            {"reason": "wrong amount", "supervisor": {"username": "sup.ca-01", "password": "x"}},
        ),
        (
            "/v1/contributions",
            {"registration_number": "0000000018", "amount_centimes": 1_000, "payer_phone": "0661"},
        ),
        (
            "/v1/contributions",
            {
                "registration_number": "0000000018",
                "amount_centimes": 1_000,
                "payer_phone": PAYER_PHONE,
            },
        ),
    ],
    ids=["sign-in", "reversal", "collection-bad-phone", "collection-with-phone"],
)
def test_a_password_or_a_payers_phone_without_a_salt_is_refused_naming_the_salt(
    world: World, terminal: TestTerminal, path: str, body: dict[str, object]
) -> None:
    refused = terminal.send("POST", path, body, salted=False)
    assert refused.status_code == 422, refused.text
    field = refused.json()["error"]["field"]
    # A phone that is no phone is named first: the salt is asked for once it is a phone.
    assert field == ("payer_phone" if body.get("payer_phone") == "0661" else "salt")
    assert PASSWORD not in refused.text
    with Session(world.services.engine) as session:
        assert session.exec(select(Contribution)).first() is None


@pytest.mark.parametrize("salt", [None, secrets.token_urlsafe(16)], ids=["unsalted", "salted"])
def test_a_collection_without_a_payers_phone_is_taken_with_or_without_a_salt(
    terminal: TestTerminal, salt: str | None
) -> None:
    number = _enrolled(terminal)
    body: dict[str, object] = {"registration_number": number, "amount_centimes": 1_000}
    if salt is not None:
        body["salt"] = salt
    collected = terminal.send("POST", "/v1/contributions", body, salted=False)
    assert collected.status_code == 201, collected.text
