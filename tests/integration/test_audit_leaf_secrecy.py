"""Issue 16, item 3: the audit log keeps the digest of every signed body (the terminal's
signature covers it), so an auditor re-verifies every signature; a body carrying personal
data also carries the terminal's random salt, so that digest gives nothing back to someone
who tries the few CINs a masked suffix leaves.

The attack, as the issue ran it: take a lookup's leaf, read the CIN's last digits from the
worker's masked CIN, hash ``{"cin": candidate}`` for every candidate and compare with the
leaf's ``content-digest``. Run here against real leaves, bounded to under 200,000
candidates; the same search against the unsalted body finds the CIN, so the test would
fail if the salt were not there.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, col, select

from agent_api.domain.identity import mask_cin
from agent_api.persistence.tables import AuditLeaf
from agent_api.protocol.digest import content_digest
from tests.integration.conftest import World
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


@pytest.mark.parametrize("salt", [secrets.token_urlsafe(16), secrets.token_hex(16)])
def test_a_salt_of_22_base64url_characters_or_32_hex_digits_is_accepted(
    terminal: TestTerminal, salt: str
) -> None:
    assert terminal.send("POST", "/v1/workers", worker_payload(cin=CIN)).status_code == 201
    found = terminal.send("POST", "/v1/workers/lookup", {"cin": CIN, "salt": salt})
    assert found.status_code == 200, found.text
