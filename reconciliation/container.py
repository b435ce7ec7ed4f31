"""The reconciliation services over one engine: what the command line, the daemon and the
finance endpoints (mounted by the composition root) all use."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from agent_api.clock import Clock, utc_now
from agent_api.persistence import sealing
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.secrets import parse_ed25519_private_key
from agent_api.services.container import audit_log_of, contact_sealer
from agent_api.services.log.sequencer import Sequencer
from agent_api.services.writes.receipts import ReceiptSigner
from agent_api.settings import Settings
from reconciliation.calendar import BusinessCalendar
from reconciliation.claims import ClaimsTracking
from reconciliation.closing import DayCloser
from reconciliation.exceptions import ExceptionQueue
from reconciliation.inputs import Inputs
from reconciliation.reports import Reports
from reconciliation.run import Reconciler
from reconciliation.settlement import SettlementQueries, Settler


@dataclass(frozen=True)
class Reconciliation:
    closer: DayCloser
    settler: Settler
    settlements: SettlementQueries
    inputs: Inputs
    reconciler: Reconciler
    exceptions: ExceptionQueue
    reports: Reports
    calendar: BusinessCalendar
    claims: ClaimsTracking

    @classmethod
    def build(cls, settings: Settings, engine: Engine, clock: Clock = utc_now) -> Reconciliation:
        # Its writes record audit-log entries too: each commit nudges the sequencer.
        sequencer = Sequencer(lambda: UnitOfWork(engine), clock)

        def uow() -> UnitOfWork:
            return UnitOfWork(engine, after_appends=sequencer.nudge)

        signer = ReceiptSigner(
            parse_ed25519_private_key(settings.key_text("RECEIPT_SIGNING_KEY").reveal())
        )
        # CNSS's free reason text in the tracking file is sealed at rest, as the service does.
        sealing.install(contact_sealer(settings))
        queue = ExceptionQueue(uow, clock)
        inputs = Inputs(uow, clock)  # one, so that a file imported is not parsed again to match
        return cls(
            closer=DayCloser(
                uow, clock, audit_log_of(settings, uow, clock, sequencer=sequencer).checkpoint
            ),
            settler=Settler(uow, clock, signer),
            settlements=SettlementQueries(uow),
            inputs=inputs,
            reconciler=Reconciler(uow, clock, inputs),
            exceptions=queue,
            reports=Reports(uow, queue),
            calendar=BusinessCalendar(uow),
            claims=ClaimsTracking(uow, clock, ack_days=settings.transmittal_ack_days),
        )
