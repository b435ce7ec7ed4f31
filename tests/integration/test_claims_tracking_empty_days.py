"""A day CNSS has nothing to say still counts: its file (header and ``TOTAL;0;0,00``) is byte
for byte every other quiet day's file, and applying it days later must still find the slips
CNSS never acknowledged. Found by the simulator's property test
(``test_claims_simulation_property``): a day whose only slips were never acknowledged left
the finance queue empty."""

from __future__ import annotations

from agent_api.clock import CASABLANCA
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import write_tracking
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import enroll
from tests.support.terminal import TestTerminal


def test_a_quiet_days_file_applied_late_shows_the_slip_cnss_never_acknowledged(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    claims = Reconciliation.build(world.services.settings, world.services.engine, clock).claims
    deposited = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": enroll(terminal),
            "care_kind": "pharmacy",
            "care_from": clock().astimezone(CASABLANCA).date().isoformat(),
            "amount_spent_centimes": 12_000,
            "documents": 1,
            "insist": True,
        },
    )
    assert deposited.status_code == 201, deposited.text
    slip = terminal.send("POST", "/v1/offices/current/transmittals", {}).json()["number"]
    quiet = write_tracking([])
    first = claims.apply(quiet, source="CNSS_SUIVI_DOSSIERS_CASHPLUS_20261201.csv")
    assert first.opened == []

    clock.advance(days=world.services.settings.transmittal_ack_days + 1)
    later = claims.apply(quiet, source="CNSS_SUIVI_DOSSIERS_CASHPLUS_20261207.csv")

    assert later.already_applied  # the same bytes: no event, no file recorded twice
    assert [(e.kind, e.finding_key) for e in claims.queue()] == [
        ("unacknowledged_slip", f"unacknowledged_slip:{slip}")
    ]
