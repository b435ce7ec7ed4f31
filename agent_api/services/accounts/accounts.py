"""Worker accounts at the counter: quotes, collections, reversals, fishing-day declarations,
health rights.

A collection locks the worker's row for its transaction (PostgreSQL ``FOR UPDATE``; SQLite
serializes writers), so two offices paying for the same worker at once are allocated one
after the other and neither is lost. Allocations are computed from the stored history and
written once; a reversal writes their mirror image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.account import (
    AmountTooLarge,
    MonthLine,
    SurchargeRule,
    allocate,
)
from agent_api.domain.account_state import AccountState, Paid, month_lines, rights_of
from agent_api.domain.business_day import business_date
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.registration_number import is_valid_registration_number
from agent_api.domain.rights import Rights, RightsRules
from agent_api.domain.roles import Actor
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence.accounts import NewCollection, record_collection
from agent_api.persistence.tables import (
    AccountAllocation,
    Contribution,
    Receipt,
    Reversal,
    User,
    Worker,
)
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.accounts.account_store import load_account
from agent_api.services.accounts.business_days import assign_day
from agent_api.services.accounts.same_day_approval import Undoing, approve_same_day
from agent_api.services.registry.tariff import TariffCache
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.workers.workers import find_worker
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.receipts import ReceiptSigner, opened_receipt
from agent_api.services.writes.signed_writes import Decision


@dataclass(frozen=True)
class QuoteLine:
    month: date
    base_centimes: int
    due_centimes: int
    surcharge_centimes: int
    paid_centimes: int
    outstanding_centimes: int


@dataclass(frozen=True)
class Quote:
    registration_number: str
    through: date
    lines: list[QuoteLine]
    total_centimes: int
    horizon: date  # the last month a payment may prepay today
    paid_through: date | None  # the latest month whose due is fully paid
    gaps: list[date]  # unpaid months before ``paid_through`` (a reversal's hole)


@dataclass(frozen=True)
class Credited:
    month: date
    kind: str
    amount_centimes: int


@dataclass(frozen=True)
class Collected:
    receipt_number: str
    receipt: str
    registration_number: str
    amount_centimes: int
    business_date: date
    allocations: list[Credited]
    rights: Rights
    compact: str = ""  # the receipt's compact form, for the ticket's QR

    def decision(self) -> Decision:
        return Decision(
            receipt=self.receipt_number,
            amount_centimes=self.amount_centimes,
            business_date=self.business_date,
        )


@dataclass(frozen=True)
class Reversed:
    receipt_number: str
    receipt: str
    reverses: str
    amount_centimes: int
    business_date: date
    compact: str = ""  # the receipt's compact form, for the ticket's QR

    def decision(self) -> Decision:
        return Decision(
            receipt=self.receipt_number,
            reverses=self.reverses,
            amount_centimes=self.amount_centimes,
            business_date=self.business_date,
        )


@dataclass(frozen=True)
class RightsView:
    registration_number: str
    rights: Rights
    collected_at_counter: bool


@dataclass(frozen=True)
class AccountSettings:
    max_collection_centimes: int
    horizon_months: int
    surcharge: SurchargeRule
    rights: RightsRules
    cutoff: time


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        receipts: ReceiptSigner,
        settings: AccountSettings,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._receipts = receipts
        self._settings = settings
        self._tariff = TariffCache()

    def _this_month(self) -> date:
        return first_of_month(self._clock().astimezone(CASABLANCA).date())

    # -- the account ----------------------------------------------------------------------
    def _account(self, uow: UnitOfWork, registration_number: str, *, lock: bool) -> AccountState:
        if not is_valid_registration_number(registration_number):
            raise ValidationFailed(
                "registration_number: is not a valid registration number (10 digits, check digit)",
                field="registration_number",
            )
        account = load_account(uow.connection(), registration_number, self._tariff, lock=lock)
        if account is None:
            raise NotFound("no worker with this registration number", field="registration_number")
        return account

    def _lines(
        self, account: AccountState, through: date, current: date
    ) -> tuple[list[MonthLine], dict[date, int]]:
        """Each month from the coverage start to ``through``, and each month's base."""
        return month_lines(
            account,
            through=through,
            current=current,
            today=self._clock().astimezone(CASABLANCA).date(),
            surcharge=self._settings.surcharge,
        )

    def _rights(self, account: AccountState, current: date) -> Rights:
        lines, _ = self._lines(account, self._reach(account), current)
        return rights_of(account, lines, current, self._settings.rights)

    def _horizon(self) -> date:
        """The last month a payment may prepay: the current month and ``horizon_months``
        months after it (docs/account.md, "Paying ahead")."""
        return add_months(self._this_month(), self._settings.horizon_months)

    def _reach(self, account: AccountState) -> date:
        """How far an account's months must be read for each to show its real due: the
        horizon, or a month prepaid beyond today's horizon (a horizon setting lowered)."""
        last_paid = account.last_paid_month()
        horizon = self._horizon()
        return max(horizon, last_paid) if last_paid is not None else horizon

    # -- quote ----------------------------------------------------------------------------
    def quote(self, registration_number: str, through: date | None) -> Quote:
        current = self._this_month()
        target = through or current
        horizon = self._horizon()
        if target < current:
            raise ValidationFailed(
                f"through: must not be before the current month {format_month(current)} "
                "(a quote always includes every unpaid month since the coverage start)",
                field="through",
            )
        if target > horizon:
            raise ValidationFailed(
                f"through: at most {format_month(horizon)} (the current month and "
                f"{self._settings.horizon_months} months ahead)",
                field="through",
            )
        with self._uow() as uow:
            account = self._account(uow, registration_number, lock=False)
            lines, bases = self._lines(account, self._reach(account), current)
            standing = rights_of(account, lines, current, self._settings.rights)
        quote_lines = [
            QuoteLine(
                month=line.month,
                base_centimes=bases.get(line.month, 0),
                due_centimes=line.due_centimes,
                surcharge_centimes=line.surcharge_centimes,
                paid_centimes=line.paid_due_centimes + line.paid_surcharge_centimes,
                outstanding_centimes=line.outstanding,
            )
            for line in lines
            if line.month <= target
        ]
        return Quote(
            registration_number=account.registration_number,
            through=target,
            lines=quote_lines,
            total_centimes=sum(q.outstanding_centimes for q in quote_lines),
            horizon=horizon,
            paid_through=standing.paid_through,
            gaps=list(standing.gaps),
        )

    # -- collect --------------------------------------------------------------------------
    def collect(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        registration_number: str,
        amount_centimes: int,
        payer_phone: str | None,
    ) -> Collected:
        if amount_centimes > self._settings.max_collection_centimes:
            raise ValidationFailed(
                f"amount_centimes: at most {self._settings.max_collection_centimes} per collection",
                field="amount_centimes",
            )
        session = uow.session
        account = self._account(uow, registration_number, lock=True)
        _check_collectable(account)
        current = self._this_month()
        lines, _ = self._lines(account, self._horizon(), current)
        try:
            allocations = allocate(lines, amount_centimes)
        except AmountTooLarge as exc:
            raise _too_much(account, exc.maximum, self._horizon()) from None
        now = self._clock()
        signed_day = business_date(write.signed_at, self._settings.cutoff)
        assignment = assign_day(session, terminal.network_id, signed_day)
        day = assignment.business_date
        lateness = (
            {"late": True, "signed_business_date": signed_day.isoformat()}
            if assignment.late
            else {}
        )
        # The receipt's row first (the collection refers to it), its signature last: signing
        # takes the audit log's index, whose lock is held until the commit.
        receipt_id, contribution_id = record_collection(
            uow.connection(),
            NewCollection(
                worker_id=account.worker_id,
                network_id=terminal.network_id,
                office_id=terminal.office_id,
                terminal_id=terminal.terminal_id,
                operator_id=actor.user_id,
                amount_centimes=amount_centimes,
                payer_phone=payer_phone,
                signed_at=write.signed_at,
                recorded_at=now,
                business_date=day,
                offline=write.offline,
                late=assignment.late,
                signed_business_date=signed_day if assignment.late else None,
                sequence=write.key,
                allocations=[(a.month, a.kind, a.amount_centimes) for a in allocations],
            ),
        )
        opened = opened_receipt(terminal, receipt_id)
        account.paid.extend(
            Paid(a.month, a.kind, a.amount_centimes, "c", contribution_id, now) for a in allocations
        )
        standing = self._rights(account, current)
        receipt = self._receipts.sign_opened(
            session,
            opened,
            kind="collection",
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            claims={
                "registration_number": account.registration_number,
                "amount_centimes": amount_centimes,
                "months": [
                    {
                        "month": format_month(a.month),
                        "kind": a.kind,
                        "amount_centimes": a.amount_centimes,
                    }
                    for a in allocations
                ],
                "business_date": day.isoformat(),
                **lateness,
            },
        )
        return Collected(
            receipt_number=receipt.number,
            receipt=receipt.jws,
            registration_number=account.registration_number,
            amount_centimes=amount_centimes,
            business_date=day,
            allocations=[Credited(a.month, a.kind, a.amount_centimes) for a in allocations],
            rights=standing,
            compact=receipt.compact,
        )

    # -- reverse --------------------------------------------------------------------------
    def reverse(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        receipt_number: str,
        reason: str,
        supervisor: User,
    ) -> Reversed:
        session = uow.session
        found = session.exec(
            select(Contribution, Receipt)
            .join(Receipt, Receipt.id == Contribution.receipt_id)  # type: ignore[arg-type]
            .where(Receipt.number == receipt_number)
        ).first()
        if found is None:
            kind = session.exec(
                select(Receipt.kind, Receipt.office_id).where(Receipt.number == receipt_number)
            ).first()
            if kind is not None and kind[1] == terminal.office_id:
                raise Conflict(
                    f"receipt {receipt_number} is a {kind[0]}, not a collection",
                    code="not_a_collection",
                    field="receipt_number",
                )
            raise NotFound(f"no collection {receipt_number} at this office", field="receipt_number")
        contribution, original = found
        if contribution.office_id != terminal.office_id:
            raise NotFound(f"no collection {receipt_number} at this office", field="receipt_number")
        now = self._clock()
        today = approve_same_day(
            session,
            now,
            self._settings.cutoff,
            Undoing(
                "collection",
                receipt_number,
                "reversed",
                "collected",
                "reversal_window_closed",
                "Ask CNSS finance for a correction.",
            ),
            network_id=contribution.network_id,
            business_day=contribution.business_date,
            operator_id=contribution.operator_id,
            supervisor=supervisor,
        )
        worker = session.exec(
            select(Worker).where(Worker.id == contribution.worker_id).with_for_update()
        ).one()
        assert worker.id is not None and contribution.id is not None  # noqa: PT018
        receipt = self._receipts.issue(
            session,
            kind="reversal",
            worker_id=worker.id,
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            amount_centimes=contribution.amount_centimes,
            claims={
                "registration_number": worker.registration_number,
                "reverses": receipt_number,
                "amount_centimes": contribution.amount_centimes,
                "approved_by": supervisor.username,
                "business_date": today.isoformat(),
            },
        )
        assert supervisor.id is not None
        reversal = Reversal(
            contribution_id=contribution.id,
            receipt_id=receipt.id,
            reason=reason,
            supervisor_id=supervisor.id,
            operator_id=actor.user_id,
            network_id=terminal.network_id,
            office_id=terminal.office_id,
            terminal_id=terminal.terminal_id,
            amount_centimes=contribution.amount_centimes,
            signed_at=write.signed_at,
            recorded_at=now,
            business_date=today,
            sequence=write.key,
        )
        try:
            with session.begin_nested():
                session.add(reversal)
                session.flush()
        except IntegrityError:
            raise Conflict(
                f"collection {receipt_number} is already reversed",
                code="already_reversed",
                field="receipt_number",
            ) from None
        for a in session.exec(
            select(AccountAllocation).where(AccountAllocation.contribution_id == contribution.id)
        ).all():
            session.add(
                AccountAllocation(
                    worker_id=worker.id,
                    month=a.month,
                    kind=a.kind,
                    amount_centimes=-a.amount_centimes,
                    contribution_id=None,
                    reversal_id=reversal.id,
                )
            )
        session.flush()
        assert original.number is not None
        return Reversed(
            receipt.number,
            receipt.jws,
            original.number,
            contribution.amount_centimes,
            today,
            receipt.compact,
        )

    # -- certificates ---------------------------------------------------------------------
    def certificate(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        registration_number: str,
        kind: str,
    ) -> Certificate:
        """A signed rights or payment certificate, numbered like a receipt (its claims:
        docs/signed-documents.md)."""
        session = uow.session
        account = self._account(uow, registration_number, lock=False)
        current = self._this_month()
        now = self._clock()
        lines, _ = self._lines(account, self._reach(account), current)
        state = rights_of(account, lines, current, self._settings.rights)
        claims: dict[str, object] = {
            "certificate": kind,
            "registration_number": account.registration_number,
            "name": f"{account.first_name} {account.last_name}",
        }
        if kind == "rights":
            claims.update(rights_claims(state))
        else:
            claims.update(
                # Every month to date, and any month paid ahead, each with its real due: a
                # prepaid month shows what it costs and that it is paid, not a due of 0.
                months=[
                    {
                        "month": format_month(line.month),
                        "due_centimes": line.due_centimes,
                        "paid_centimes": line.paid_due_centimes,
                        "outstanding_centimes": line.outstanding_due,
                        "surcharge_centimes": line.surcharge_centimes,
                        "surcharge_paid_centimes": line.paid_surcharge_centimes,
                    }
                    for line in lines
                    if line.month <= current
                    or line.paid_due_centimes + line.paid_surcharge_centimes > 0
                ],
                paid_through=_month_or_none(state.paid_through),
                unpaid_months=[format_month(m) for m in state.unpaid_months],
                gaps=[format_month(m) for m in state.gaps],
            )
        claims["as_of"] = format_month(current)
        issued = self._receipts.issue(
            session,
            kind="certificate",
            worker_id=account.worker_id,
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            claims=claims,
        )
        return Certificate(
            issued.number, issued.jws, kind, account.registration_number, claims, issued.compact
        )

    # -- rights ---------------------------------------------------------------------------
    def rights_in(self, uow: UnitOfWork, registration_number: str) -> Rights:
        """A worker's rights as the caller's transaction sees them (a worker enrolled in
        it a moment ago, say)."""
        return self._rights(self._account(uow, registration_number, lock=False), self._this_month())

    def rights_of(self, registration_number: str) -> RightsView:
        with self._uow() as uow:
            account = self._account(uow, registration_number, lock=False)
        return RightsView(
            account.registration_number,
            self._rights(account, self._this_month()),
            account.collected_at_counter,
        )


@dataclass(frozen=True)
class Certificate:
    number: str
    receipt: str
    kind: str
    registration_number: str
    claims: dict[str, object]
    compact: str = ""  # the certificate's compact form, for the ticket's QR

    def decision(self) -> Decision:
        return Decision(receipt=self.number)


def locked_worker(session: Session, registration_number: str) -> Worker:
    worker = find_worker(session, registration_number)
    # Serialize every write to this worker's account for the rest of the transaction.
    locked: Worker = session.exec(
        select(Worker).where(Worker.id == worker.id).with_for_update()
    ).one()
    return locked


def _month_or_none(month: date | None) -> str | None:
    return format_month(month) if month is not None else None


def rights_claims(state: Rights) -> dict[str, object]:
    """What a rights certificate says of the worker's rights (docs/signed-documents.md)."""
    return {
        "status": state.status,
        "reason_code": state.reason_code,
        "reason": state.reason,
        "covered_through": _month_or_none(state.covered_through),
        "paid_through": _month_or_none(state.paid_through),
        "oldest_unpaid": _month_or_none(state.oldest_unpaid),
        "open_until": _month_or_none(state.open_until),
        "coverage_starts": _month_or_none(state.coverage_starts),
        "reopens": _month_or_none(state.reopens),
        "unpaid_months": [format_month(m) for m in state.unpaid_months],
        "gaps": [format_month(m) for m in state.gaps],
    }


def _too_much(account: AccountState, maximum: int, horizon: date) -> ValidationFailed:
    """The refusal of an amount larger than everything that can be taken now."""
    if account.declares_days:
        # Fishing dues come from declared days only: nothing is owed, and nothing can be
        # prepaid, before the days are declared.
        if maximum == 0:
            said = (
                "every fishing day declared for this worker is already paid; new days must be "
                "declared first"
                if account.declarations
                else "no fishing days are declared yet for this worker; the days must be "
                "declared first"
            )
            return ValidationFailed(
                f"amount_centimes: {said} (POST /v1/declarations/daily), then paid",
                code="no_declared_days",
                field="amount_centimes",
                details={"maximum_centimes": 0},
            )
        return ValidationFailed(
            f"amount_centimes: more than the declared fishing days owe; at most {maximum} "
            "centimes can be taken now (fishing dues cannot be paid ahead)",
            field="amount_centimes",
            details={"maximum_centimes": maximum},
        )
    return ValidationFailed(
        f"amount_centimes: more than is owed through {format_month(horizon)} (the current "
        f"month and the months ahead that may be prepaid); at most {maximum} centimes can be "
        "taken now",
        field="amount_centimes",
        details={"maximum_centimes": maximum},
    )


def _check_collectable(account: AccountState) -> None:
    if account.status != "active":
        raise Conflict(
            f"this worker's file is {account.status}: no collection until CNSS reopens it",
            code="worker_suspended",
        )
    if not account.collected_at_counter:
        raise Conflict(
            f"{account.category_label}: the health contribution is paid through the tax, "
            "not at the counter",
            code="not_collected_at_counter",
        )
