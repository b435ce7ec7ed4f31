"""Settling a closed day: per network and office, commission per the network's rule with
documented rounding, the reference the network quotes, and a statement anyone can verify."""

from __future__ import annotations

from collections import Counter
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, Engine, MetaData, Table, func, select
from sqlmodel import Session
from sqlmodel import select as orm_select

from agent_api.domain.commission import MAX_BASIS_POINTS, CommissionRule
from agent_api.errors import Conflict
from reconciliation.container import Reconciliation
from reconciliation.settlement import STATEMENT_TYPE, proportional_commission
from reconciliation.tables import Settlement, SettlementOffice
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.reconciliation import (
    close_and_settle,
    enroll,
    pay,
    reverse,
    reverse_signed,
    today,
)
from tests.support.terminal import TestTerminal


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def test_a_settlement_counts_collections_reversals_and_commission_per_office(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    second = activated(world, clock, "CA-02")
    assert second.login("op.ca-02", PASSWORD).status_code == 201
    worker = enroll(terminal)
    kept = pay(terminal, worker, 5_000, "CA-01")
    undone = pay(terminal, worker, 12_345, "CA-01")
    reverse(terminal, undone.receipt, "sup.ca-01")
    pay(second, enroll(second), 7_777, "CA-02")
    day = today(clock)

    cashplus = close_and_settle(recon, day)["CASHPLUS"]

    # 200 centimes + 30 bps per collection that stands, each rounded half up on its own:
    # 5 000 → 200 + 15; 7 777 → 200 + 23 (23.33); the reversed one earns nothing.
    assert cashplus.reference == f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    assert (cashplus.collections, cashplus.gross_centimes) == (3, 25_122)
    assert (cashplus.reversals, cashplus.reversed_centimes) == (1, 12_345)
    assert cashplus.commission_centimes == 215 + 223
    assert cashplus.net_centimes == 25_122 - 12_345 - 438
    offices = {o["office"]: o for o in cashplus.statement["offices"]}
    assert offices["CA-01"]["net_centimes"] == 5_000 - 215
    assert offices["CA-02"]["net_centimes"] == 7_777 - 223
    assert sum(o["net_centimes"] for o in offices.values()) == cashplus.net_centimes
    assert kept.receipt.startswith("R-CASHPLUS-")


def test_the_statement_verifies_with_the_published_keys_alone(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    pay(terminal, enroll(terminal), 9_000, "CA-01")
    settled = close_and_settle(recon, today(clock))["CASHPLUS"]
    keys = world.client.get("/v1/keys").json()["keys"]
    header = jwt.get_unverified_header(settled.statement_jws)
    assert header["typ"] == STATEMENT_TYPE
    [jwk] = [k for k in keys if k["kid"] == header["kid"]]
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(settled.statement_jws, public, algorithms=["EdDSA"])
    assert claims["totals"]["net_centimes"] == settled.net_centimes
    assert claims["reference"] == settled.reference
    tampered = settled.statement_jws[:-4] + (
        "AAAA" if settled.statement_jws[-4:] != "AAAA" else "BBBB"
    )
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, public, algorithms=["EdDSA"])


def test_an_open_day_cannot_be_settled_and_nothing_is_written(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    pay(terminal, enroll(terminal), 9_000, "CA-01")
    with pytest.raises(Conflict) as refused:
        recon.settler.settle(today(clock), networks=["CASHPLUS"], by="test")
    assert refused.value.code == "day_not_closed"
    with Session(world.services.engine) as session:
        assert session.exec(orm_select(Settlement)).all() == []
        assert session.exec(orm_select(SettlementOffice)).all() == []


def test_settling_twice_gives_the_same_statement_and_a_quiet_day_owes_nothing(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    pay(terminal, enroll(terminal), 9_000, "CA-01")
    first = close_and_settle(recon, today(clock))
    again = close_and_settle(recon, today(clock))
    assert again["CASHPLUS"].statement_jws == first["CASHPLUS"].statement_jws
    assert (first["CASHPLUS"].created_now, again["CASHPLUS"].created_now) == (True, False)
    quiet = first["WAFACASH"]
    assert (quiet.collections, quiet.net_centimes, quiet.statement["offices"]) == (0, 0, [])


_AMOUNTS = Table("property_amounts", MetaData(), Column("amount_centimes", BigInteger))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=40),
    fixed=st.integers(min_value=0, max_value=100_000),
    bps=st.integers(min_value=0, max_value=MAX_BASIS_POINTS),
)
def test_the_databases_commission_is_the_per_collection_formula_for_any_amounts_and_rule(
    engine: Engine, amounts: list[int], fixed: int, bps: int
) -> None:
    # The very expression the settlement sums per office, over a BIGINT column like the
    # collections' amount, on this database: not one centime from the domain's formula.
    rule = CommissionRule(fixed_centimes=fixed, basis_points=bps)
    with engine.connect() as connection, connection.begin() as transaction:
        _AMOUNTS.create(connection)
        connection.execute(_AMOUNTS.insert(), [{"amount_centimes": a} for a in amounts])
        count, proportional = connection.execute(
            select(
                func.count(),
                func.sum(proportional_commission(_AMOUNTS.c.amount_centimes, bps)),
            )
        ).one()
        transaction.rollback()
    assert count * fixed + int(proportional) == sum(rule.on(a) for a in amounts)


def _claims(jws: str, keys: list[dict[str, Any]], typ: str = "qurb-receipt+jwt") -> Any:
    header = jwt.get_unverified_header(jws)
    assert header["typ"] == typ
    [jwk] = [k for k in keys if k["kid"] == header["kid"]]
    return jwt.decode(jws, jwt.PyJWK(jwk).key, algorithms=["EdDSA"])


def test_a_network_recomputes_its_statement_from_its_signed_receipts_alone(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    second = activated(world, clock, "CA-02")
    assert second.login("op.ca-02", PASSWORD).status_code == 201
    # 200 centimes + 30 bps. Each collection rounds on its own: 5 000 earns 15, 10 001 earns
    # 30 (30.003), 4 999 earns 15 (14.997). Summed as fractions ((a × bps + 5000) / 10000 is
    # 15.5 for 5 000) and truncated once per office, CA-01 was charged 3 centimes more.
    signed = [pay(terminal, enroll(terminal), 5_000, "CA-01").jws for _ in range(5)]
    signed += [pay(terminal, enroll(terminal), 10_001, "CA-01").jws for _ in range(3)]
    undone = pay(terminal, enroll(terminal), 7_777, "CA-01")
    signed += [undone.jws, reverse_signed(terminal, undone.receipt, "sup.ca-01")["receipt"]]
    signed += [pay(second, enroll(second), 4_999, "CA-02").jws for _ in range(4)]
    settled = close_and_settle(recon, today(clock))["CASHPLUS"]

    keys = world.client.get("/v1/keys").json()["keys"]
    statement = _claims(settled.statement_jws, keys, STATEMENT_TYPE)
    rule = CommissionRule(
        **{k: statement["commission_rule"][k] for k in ("fixed_centimes", "basis_points")}
    )
    receipts = [_claims(jws, keys) for jws in signed]
    reversed_receipts = {r["reverses"] for r in receipts if r["kind"] == "reversal"}
    gross, reversed_, commission = Counter[str](), Counter[str](), Counter[str]()
    for r in receipts:
        if r["kind"] == "reversal":
            reversed_[r["office"]] += r["amount_centimes"]
            continue
        gross[r["office"]] += r["amount_centimes"]
        if r["receipt_number"] not in reversed_receipts:
            commission[r["office"]] += rule.on(r["amount_centimes"])
    recomputed = {
        office: {
            "gross_centimes": gross[office],
            "reversed_centimes": reversed_[office],
            "commission_centimes": commission[office],
            "net_centimes": gross[office] - reversed_[office] - commission[office],
        }
        for office in gross
    }
    stated = {o["office"]: {k: o[k] for k in recomputed["CA-01"]} for o in statement["offices"]}
    assert stated == recomputed
    assert commission == {"CA-01": 5 * 215 + 3 * 230, "CA-02": 4 * 215}
    assert statement["totals"]["commission_centimes"] == sum(commission.values())
    assert settled.net_centimes == sum(r["net_centimes"] for r in recomputed.values())
