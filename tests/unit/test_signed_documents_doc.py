"""docs/signed-documents.md lists every claim of every signed document, each with a type, a
meaning and an example. (The documents themselves are issued and checked against it in
tests/integration/test_signed_documents.py.)"""

from __future__ import annotations

from datetime import date

from agent_api.domain.rights import Rights
from agent_api.services.accounts.accounts import rights_claims
from tests.support.signed_documents import (
    documented_claims,
    documented_rows,
    paths_of,
)

DOCUMENTS = {
    "header",
    "envelope",
    "enrollment",
    "collection",
    "reversal",
    "certificate:rights",
    "certificate:payments",
    "drawer_close",
    "deposit",
    "deposit_cancel",
    "settlement",
}


def test_every_document_has_its_table_and_every_claim_a_type_a_meaning_and_an_example() -> None:
    rows = documented_rows()
    assert set(rows) == DOCUMENTS
    for document, claims in rows.items():
        assert claims, f"{document}: no claims listed"
        for name, cells in claims:
            assert len(cells) == 3, f"{document}.{name}: type | meaning | example"
            assert all(cells), f"{document}.{name}: an empty cell"


def test_a_claim_the_doc_does_not_list_is_caught() -> None:
    payload = {"certificate": "rights", "months": [{"month": "2026-01", "extra": 1}], "x": 1}
    undocumented = paths_of(payload) - documented_claims()["certificate:rights"]
    assert undocumented == {"months", "months[].month", "months[].extra", "x"}


def test_every_claim_a_rights_certificate_states_is_documented() -> None:
    state = Rights(
        "open",
        covered_through=None,
        oldest_unpaid=date(2026, 1, 1),
        reopens=None,
        reason="open within the grace period until 2026-04",
        reason_code="within_grace",
        open_until=date(2026, 4, 1),
        paid_through=date(2026, 2, 1),
        unpaid_months=(date(2026, 1, 1),),
        gaps=(date(2026, 1, 1),),
    )
    claims = rights_claims(state)
    assert set(claims) <= documented_claims()["certificate:rights"]
    assert claims["gaps"] == ["2026-01"]
