"""Settling a closed day: per network and office, commission per the network's rule with
documented rounding, the reference the network quotes, and a statement anyone can verify."""

from __future__ import annotations

import jwt
import pytest
from sqlmodel import Session, select

from agent_api.errors import Conflict
from reconciliation.container import Reconciliation
from reconciliation.settlement import STATEMENT_TYPE
from reconciliation.tables import Settlement, SettlementOffice
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.reconciliation import close_and_settle, enroll, pay, reverse, today
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
        assert session.exec(select(Settlement)).all() == []
        assert session.exec(select(SettlementOffice)).all() == []


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
