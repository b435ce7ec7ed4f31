"""A deposit at the counter: the worker hands over an envelope of care documents, the hub
numbers it, says what will likely make CNSS refuse it, and signs a slip; a supervisor may
cancel it the same day (the envelope handed back), like a reversal (docs/deposits.md).

Both are signed writes (``signed_writes``): the claim of the terminal's sequence number, the
rows, the signed receipt and the audit leaf commit together or not at all. The leaf records
the slip's number and the business date only: the kind of care and the amount spent are
health data, which the audit log never holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.account import SurchargeRule
from agent_api.domain.account_state import AccountState, month_lines, rights_of
from agent_api.domain.business_day import business_date
from agent_api.domain.deposits import (
    MAX_CARE_DAYS,
    Declared,
    Warning,
    care_months,
    deadline_of,
    deposit_number,
    warnings_for,
)
from agent_api.domain.months import first_of_month
from agent_api.domain.registration_number import is_valid_registration_number
from agent_api.domain.rights import Rights, RightsRules
from agent_api.domain.roles import Actor
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    Office,
    Receipt,
    TransmittalItem,
    User,
    Worker,
    WorkerDependent,
)
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.accounts.account_store import load_account
from agent_api.services.accounts.business_days import assign_day
from agent_api.services.accounts.same_day_approval import Undoing, approve_same_day
from agent_api.services.deposits.journeys import Journey, journeys
from agent_api.services.registry.tariff import TariffCache
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.receipts import ReceiptSigner
from agent_api.services.writes.signed_writes import Decision


@dataclass(frozen=True)
class DepositSettings:
    deadline_days: int  # QURB_DEPOSIT_DEADLINE_DAYS (docs/deposits.md, "The deadline")
    cutoff: time
    surcharge: SurchargeRule
    rights: RightsRules


@dataclass(frozen=True)
class NewDeposit:
    """What the counter asks: whose care, what care, when, for how much, in how many
    documents, and whether the worker insists despite the warnings."""

    registration_number: str
    dependent_id: int | None
    care_kind: str
    care_from: date
    care_to: date
    amount_spent_centimes: int
    documents: int
    insist: bool


@dataclass(frozen=True)
class Deposited:
    deposit_number: str
    slip_number: str
    slip: str  # the signed slip (compact JWS)
    slip_compact: str  # the same claims, same key: QC1 for the slip's QR
    registration_number: str
    dependent_id: int | None
    care_kind: str
    care_from: date
    care_to: date
    amount_spent_centimes: int
    documents: int
    deadline: date
    warnings: list[Warning]
    business_date: date

    def decision(self) -> Decision:
        return Decision(receipt=self.slip_number, business_date=self.business_date)


@dataclass(frozen=True)
class Cancelled:
    receipt_number: str
    receipt: str
    deposit_number: str
    cancels: str  # the slip's receipt number
    business_date: date
    compact: str  # the receipt's QC1 form, for its QR

    def decision(self) -> Decision:
        return Decision(
            receipt=self.receipt_number, reverses=self.cancels, business_date=self.business_date
        )


class NeedsInsistence(Conflict):
    """Raised when a deposit carries warnings and the worker has not (yet) insisted."""

    code = "deposit_needs_insistence"


@dataclass(frozen=True)
class DepositView:
    """One of a worker's deposits as the counter shows it: what was deposited, where it is.

    ``stage`` is where the envelope is: ``at_office`` (not yet sent), ``cancelled``, ``sent``
    (in a transmittal slip, CNSS has said nothing yet), or CNSS's latest word: ``received``,
    ``not_received``, ``incomplete``, ``under_review``, ``reimbursed``, ``refused``."""

    deposit_number: str
    slip_number: str
    office: str
    business_date: date
    care_kind: str
    care_from: date
    care_to: date
    amount_spent_centimes: int
    documents: int
    warnings: list[str]
    transmittal: str | None
    stage: str
    since: date | None  # the date of CNSS's latest word
    reimbursed_centimes: int | None
    reason_code: str | None
    cnss_file_number: str | None


class DepositService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        receipts: ReceiptSigner,
        settings: DepositSettings,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._receipts = receipts
        self._settings = settings
        self._tariff = TariffCache()

    # -- deposit --------------------------------------------------------------------------
    def deposit(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        asked: NewDeposit,
    ) -> Deposited:
        # The day the worker handed the envelope over: when the counter signed, even if the
        # write reached the hub later (offline).
        handed_on = write.signed_at.astimezone(CASABLANCA).date()
        _check_dates(asked.care_from, asked.care_to, handed_on)
        if not is_valid_registration_number(asked.registration_number):
            raise ValidationFailed(
                "registration_number: is not a valid registration number (10 digits, check digit)",
                field="registration_number",
            )
        session = uow.session
        account = load_account(uow.connection(), asked.registration_number, self._tariff)
        if account is None:
            raise NotFound("no worker with this registration number", field="registration_number")
        declared = self._dependent(uow, account.worker_id, asked.dependent_id)
        found = warnings_for(
            care_from=asked.care_from,
            care_to=asked.care_to,
            deposited_on=handed_on,
            deadline_days=self._settings.deadline_days,
            rights_by_month=self._rights_by_month(account, asked.care_from, asked.care_to),
            dependent=declared,
        )
        # Offline, the counter could not tell the worker: the envelope is already taken, so
        # the deposit is recorded with its warnings on the slip.
        if found and not (asked.insist or write.offline):
            raise NeedsInsistence(
                "the deposit is likely to be refused by CNSS ("
                + "; ".join(_said(w) for w in found)
                + "); tell the worker, and send it again with insist=true if they still "
                "want to deposit it",
                details=_figures(found),
            )
        now = self._clock()
        signed_day = business_date(write.signed_at, self._settings.cutoff)
        day = assign_day(session, terminal.network_id, signed_day).business_date
        opened = self._receipts.open(
            session,
            kind="deposit",
            worker_id=account.worker_id,
            terminal=terminal,
            issued_at=now,
            amount_centimes=None,
        )
        number = deposit_number(terminal.network_code, opened.id)
        deadline = deadline_of(asked.care_to, self._settings.deadline_days)
        session.add(
            Deposit(
                number=number,
                slip_receipt_id=opened.id,
                worker_id=account.worker_id,
                dependent_id=asked.dependent_id,
                care_kind=asked.care_kind,
                care_from=asked.care_from,
                care_to=asked.care_to,
                amount_spent_centimes=asked.amount_spent_centimes,
                documents=asked.documents,
                warnings=",".join(w.code for w in found),
                network_id=terminal.network_id,
                office_id=terminal.office_id,
                terminal_id=terminal.terminal_id,
                operator_id=actor.user_id,
                signed_at=write.signed_at,
                recorded_at=now,
                business_date=day,
                offline=write.offline,
                sequence=write.key,
            )
        )
        session.flush()
        slip = self._receipts.sign_opened(
            session,
            opened,
            kind="deposit",
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            claims={
                "deposit_number": number,
                "registration_number": account.registration_number,
                "beneficiary": "worker" if asked.dependent_id is None else "dependent",
                "dependent_id": asked.dependent_id,
                "care_kind": asked.care_kind,
                "care_from": asked.care_from.isoformat(),
                "care_to": asked.care_to.isoformat(),
                "amount_spent_centimes": asked.amount_spent_centimes,
                "documents": asked.documents,
                "deadline": deadline.isoformat(),
                "warnings": [w.code for w in found],
                "business_date": day.isoformat(),
            },
        )
        return Deposited(
            deposit_number=number,
            slip_number=slip.number,
            slip=slip.jws,
            slip_compact=slip.compact,
            registration_number=account.registration_number,
            dependent_id=asked.dependent_id,
            care_kind=asked.care_kind,
            care_from=asked.care_from,
            care_to=asked.care_to,
            amount_spent_centimes=asked.amount_spent_centimes,
            documents=asked.documents,
            deadline=deadline,
            warnings=found,
            business_date=day,
        )

    def _dependent(
        self, uow: UnitOfWork, worker_id: int, dependent_id: int | None
    ) -> Declared | None:
        if dependent_id is None:
            return None
        found = uow.session.exec(
            select(WorkerDependent).where(
                WorkerDependent.id == dependent_id, WorkerDependent.worker_id == worker_id
            )
        ).first()
        if found is None:
            raise NotFound(
                f"dependent_id: no dependent {dependent_id} on this worker's file",
                field="dependent_id",
            )
        return Declared(found.added_at, found.removed_at)

    def _rights_by_month(
        self, account: AccountState, care_from: date, care_to: date
    ) -> dict[date, Rights] | None:
        """The worker's rights in each month of care, as the payments recorded by the end
        of that month made them (a payment made later does not reopen them backwards).
        None for a worker whose contribution the counter does not collect."""
        if not account.collected_at_counter:
            return None
        found: dict[date, Rights] = {}
        for month in care_months(care_from, care_to):
            then = replace(
                account,
                paid=[
                    p
                    for p in account.paid
                    if first_of_month(p.at.astimezone(CASABLANCA).date()) <= month
                ],
            )
            lines, _ = month_lines(
                then, through=month, current=month, today=month, surcharge=self._settings.surcharge
            )
            found[month] = rights_of(then, lines, month, self._settings.rights)
        return found

    # -- a worker's deposits --------------------------------------------------------------
    def of_worker(self, registration_number: str) -> list[DepositView]:
        """Every deposit of the worker, at any office, newest first, with where it is."""
        if not is_valid_registration_number(registration_number):
            raise ValidationFailed(
                "registration_number: is not a valid registration number (10 digits, check digit)",
                field="registration_number",
            )
        with self._uow() as uow:
            session = uow.session
            worker_id = session.exec(
                select(Worker.id).where(Worker.registration_number == registration_number)
            ).first()
            if worker_id is None:
                raise NotFound(
                    "no worker with this registration number", field="registration_number"
                )
            rows = session.exec(
                select(Deposit, Receipt.number, Office.code)
                .join(Receipt, col(Receipt.id) == col(Deposit.slip_receipt_id))
                .join(Office, col(Office.id) == col(Deposit.office_id))
                .where(Deposit.worker_id == worker_id)
                .order_by(col(Deposit.id).desc())
            ).all()
            found = journeys(session, [deposit for deposit, _, _ in rows])
        views = []
        for deposit, slip_number, office in rows:
            assert deposit.id is not None
            journey = found[deposit.id]
            views.append(
                DepositView(
                    deposit_number=deposit.number,
                    slip_number=slip_number or "",
                    office=office,
                    business_date=deposit.business_date,
                    care_kind=deposit.care_kind,
                    care_from=deposit.care_from,
                    care_to=deposit.care_to,
                    amount_spent_centimes=deposit.amount_spent_centimes,
                    documents=deposit.documents,
                    warnings=[w for w in deposit.warnings.split(",") if w],
                    transmittal=journey.transmittal,
                    stage=journey.stage,
                    since=journey.since,
                    reimbursed_centimes=journey.reimbursed_centimes,
                    reason_code=journey.reason_code,
                    cnss_file_number=journey.cnss_file_number,
                )
            )
        return views

    def journey_of_slip(self, slip_number: str) -> Journey | None:
        """Where the file of the slip ``slip_number`` is (the slip's receipt number); None for
        a receipt that is no deposit slip. The caller has checked the slip is authentic and
        the very one stored: the public page asks it for the slip's holder only."""
        with self._uow() as uow:
            deposit = uow.session.exec(
                select(Deposit)
                .join(Receipt, col(Receipt.id) == col(Deposit.slip_receipt_id))
                .where(Receipt.number == slip_number)
            ).first()
            if deposit is None or deposit.id is None:
                return None
            return journeys(uow.session, [deposit])[deposit.id]

    # -- cancel ---------------------------------------------------------------------------
    def cancel(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        deposit_number: str,
        reason: str,
        supervisor: User,
    ) -> Cancelled:
        session = uow.session
        found = session.exec(
            select(Deposit, Receipt)
            .join(Receipt, Receipt.id == Deposit.slip_receipt_id)  # type: ignore[arg-type]
            .where(Deposit.number == deposit_number)
            # Held until the commit: a transmittal closing now waits, then leaves it out.
            .with_for_update()
        ).first()
        if found is None or found[0].office_id != terminal.office_id:
            raise NotFound(f"no deposit {deposit_number} at this office", field="deposit_number")
        deposit, slip = found
        now = self._clock()
        today = approve_same_day(
            session,
            now,
            self._settings.cutoff,
            Undoing(
                "deposit",
                deposit_number,
                "cancelled",
                "took the deposit",
                "cancellation_window_closed",
            ),
            network_id=deposit.network_id,
            business_day=deposit.business_date,
            operator_id=deposit.operator_id,
            supervisor=supervisor,
        )
        sent = session.exec(
            select(TransmittalItem.transmittal_id).where(TransmittalItem.deposit_id == deposit.id)
        ).first()
        if sent is not None:
            raise Conflict(
                f"deposit {deposit_number} has left with its transmittal slip; it can no longer "
                "be cancelled at the counter",
                code="already_transmitted",
            )
        assert supervisor.id is not None and deposit.id is not None  # noqa: PT018
        receipt = self._receipts.issue(
            session,
            kind="deposit_cancel",
            worker_id=deposit.worker_id,
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            claims={
                "deposit_number": deposit_number,
                "cancels": slip.number,
                "approved_by": supervisor.username,
                "business_date": today.isoformat(),
            },
        )
        try:
            with session.begin_nested():
                session.add(
                    DepositCancellation(
                        deposit_id=deposit.id,
                        receipt_id=receipt.id,
                        reason=reason,
                        supervisor_id=supervisor.id,
                        operator_id=actor.user_id,
                        network_id=terminal.network_id,
                        office_id=terminal.office_id,
                        terminal_id=terminal.terminal_id,
                        signed_at=write.signed_at,
                        recorded_at=now,
                        business_date=today,
                        sequence=write.key,
                    )
                )
                session.flush()
        except IntegrityError:
            raise Conflict(
                f"deposit {deposit_number} is already cancelled",
                code="already_cancelled",
                field="deposit_number",
            ) from None
        assert slip.number is not None
        return Cancelled(
            receipt.number, receipt.jws, deposit_number, slip.number, today, receipt.compact
        )


def _check_dates(care_from: date, care_to: date, handed_on: date) -> None:
    """Care that has not happened yet cannot be claimed; a span longer than a year is a
    mistyped date."""
    last = handed_on.isoformat()
    if care_from > handed_on:
        raise ValidationFailed(
            f"care_from: must not be after the day of the deposit ({last})", field="care_from"
        )
    if care_to < care_from:
        raise ValidationFailed("care_to: must not be before care_from", field="care_to")
    if care_to > handed_on:
        raise ValidationFailed(
            f"care_to: must not be after the day of the deposit ({last})", field="care_to"
        )
    if care_to - care_from > timedelta(days=MAX_CARE_DAYS):
        raise ValidationFailed(
            f"care_to: care on one file spans at most {MAX_CARE_DAYS} days", field="care_to"
        )


def _figures(found: list[Warning]) -> dict[str, str]:
    """The 409's details: the warning codes, with the month of closed rights (``YYYY-MM``)
    and the deadline (``YYYY-MM-DD``) the counter's sentences need."""
    details = {"warnings": ",".join(w.code for w in found)}
    for warning in found:
        if warning.month is not None:
            details["month"] = f"{warning.month:%Y-%m}"
        if warning.deadline is not None:
            details["deadline"] = warning.deadline.isoformat()
    return details


def _said(warning: Warning) -> str:
    if warning.code == "rights_closed":
        assert warning.month is not None
        return f"{warning.cnss_reason}: health rights closed in {warning.month:%Y-%m}"
    if warning.code == "deadline_passed":
        assert warning.deadline is not None
        return (
            f"{warning.cnss_reason}: the deposit deadline passed on {warning.deadline.isoformat()}"
        )
    return f"{warning.cnss_reason}: the beneficiary was not declared over the period of care"
