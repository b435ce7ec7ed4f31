"""The public verification page (``/V``) and the log question it asks
(``POST /v1/receipt-standing``) in the authorization matrix: public, the same answer to
anyone, signed in or not; only the methods they serve; a strict CSP with nothing inline;
every word in French and Arabic; fuzzed query strings never break the page."""

from __future__ import annotations

import json
import re
from html import unescape

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qurb.verify.labels import AR, FR
from tests.integration.conftest import World
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

PUBLIC_PAGES = ["/V", "/v"]


def _callers(world: World, terminal: TestTerminal) -> dict[str, dict[str, str]]:
    """Everyone who might open the page: nobody, a back-office user, a counter operator."""
    return {
        "nobody": {},
        "cnss.auditor": world.auth("cnss.auditor"),
        "admin.cashplus": world.auth("admin.cashplus"),
        "an operator's token": {"authorization": f"Bearer {terminal.token}"},
        "a forged bearer": {"authorization": "Bearer not-a-token"},
    }


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_page_is_the_same_for_anyone_signed_in_or_not(
    world: World, terminal: TestTerminal, path: str
) -> None:
    answers = {
        who: world.client.get(path, headers=headers)
        for who, headers in _callers(world, terminal).items()
    }
    assert {who: a.status_code for who, a in answers.items()} == dict.fromkeys(answers, 200)
    assert len({a.text for a in answers.values()}) == 1  # nothing depends on who asks


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_page_serves_only_get(world: World, method: str) -> None:
    assert world.client.request(method, "/V").status_code == 405


def test_the_log_question_is_public_and_answers_anyone_the_same(
    world: World, terminal: TestTerminal
) -> None:
    body = {"compact": "QC1:NOT A RECEIPT"}
    answers = [
        world.client.post("/v1/receipt-standing", json=body, headers=headers)
        for headers in _callers(world, terminal).values()
    ]
    assert {a.status_code for a in answers} == {422}
    assert {a.json()["error"]["field"] for a in answers} == {"compact"}
    assert world.client.get("/v1/receipt-standing").status_code == 405  # no GET: no URL keeps it


def test_the_page_has_a_strict_csp_and_nothing_inline(world: World) -> None:
    page = world.client.get("/V")
    policy = {
        d.split()[0]: d.split()[1:] for d in page.headers["content-security-policy"].split(";")
    }
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\ssrc=)|\sstyle=|\son[a-z]+=", page.text, flags=re.I)
    assert page.headers["x-frame-options"] == "DENY"
    for asset in re.findall(r'(?:src|href)="(/verify/static/[^"]+)"', page.text):
        assert world.client.get(asset).status_code == 200, asset


def test_the_page_embeds_exactly_the_published_receipt_keys(world: World) -> None:
    page = world.client.get("/V").text
    embedded = json.loads(unescape(re.search(r'data-keys="([^"]*)"', page)[1]))  # type: ignore[index]
    published = world.client.get("/v1/keys").json()["keys"]
    assert embedded == [
        {"kid": k["kid"], "x": k["x"]} for k in published if k.get("crv") == "Ed25519"
    ]


def test_every_word_is_in_french_and_arabic(world: World) -> None:
    assert set(FR) == set(AR)
    assert all(FR.values())
    assert all(AR.values())
    french, arabic = world.client.get("/V").text, world.client.get("/V?lang=ar").text
    assert '<html lang="fr" dir="ltr">' in french
    assert '<html lang="ar" dir="rtl">' in arabic
    assert FR["title"] in french
    assert AR["title"] in arabic


def test_a_phone_set_to_arabic_gets_the_arabic_page(world: World) -> None:
    page = world.client.get("/V", headers={"accept-language": "ar-MA,ar;q=0.9,fr;q=0.8"})
    assert '<html lang="ar" dir="rtl">' in page.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.dictionaries(
        st.sampled_from(["lang", "x", "compact", "QC1:"]),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
        max_size=3,
    )
)
def test_any_query_string_still_gets_the_page(world: World, query: dict[str, str]) -> None:
    page = world.client.get("/V", params=query)
    assert page.status_code == 200
    assert re.search(r'<html lang="(fr|ar)" dir="(ltr|rtl)">', page.text)


def test_where_an_entry_is_answers_anyone_the_same_and_never_its_leaf(
    world: World, terminal: TestTerminal
) -> None:
    """GET /v1/audit/entries/{entry} is public as the tiles are: whoever asks (signed in or
    not, any role or network) gets the same answer, and never the leaf's content."""
    paid = pay(terminal, enroll(terminal), 7_000, "CA-01")
    entry = jwt.decode(paid.jws, options={"verify_signature": False})["log_entry"]
    answers = {
        who: world.client.get(f"/v1/audit/entries/{entry}", headers=headers)
        for who, headers in _callers(world, terminal).items()
    }
    assert {a.status_code for a in answers.values()} == {200}
    bodies = {a.json()["index"] for a in answers.values()}
    assert len(bodies) == 1
    for answer in answers.values():
        assert "data" not in answer.json()
        assert paid.receipt not in answer.text  # the leaf's facts stay the auditors'
    assert world.client.post(f"/v1/audit/entries/{entry}").status_code == 405
