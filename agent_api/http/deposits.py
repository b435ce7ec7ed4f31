"""The counter's deposits of AMO reimbursement files: a deposit with its signed slip, its
same-day cancellation with a supervisor's approval, and the day's transmittal slip with its
signed manifest (docs/deposits.md)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.permissions import COUNTER_STAFF
from agent_api.domain.roles import Actor
from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import deposits as s
from agent_api.http.schemas.contributions import ReceiptOut
from agent_api.http.supervisor_approval import approving_supervisor
from agent_api.persistence.tables import User
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.container import Services
from agent_api.services.deposits.deposits import Cancelled, Deposited, NewDeposit
from agent_api.services.deposits.transmittals import Transmitted
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.signed_writes import Done, WriteKind


@dataclass(frozen=True)
class _Deposit:
    actor: Actor
    terminal: TerminalContext
    body: s.DepositIn


def _deposit(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Deposit
) -> Done[Deposited]:
    body = r.body
    done = services.deposits.deposit(
        uow,
        r.actor,
        r.terminal,
        write,
        NewDeposit(
            registration_number=body.registration_number,
            dependent_id=body.dependent_id,
            care_kind=body.care_kind,
            care_from=body.care_from,
            care_to=body.care_to or body.care_from,
            amount_spent_centimes=body.amount_spent_centimes,
            documents=body.documents,
            insist=body.insist,
        ),
    )
    return Done(done, done.decision())


def _deposited(done: Deposited) -> object:
    return s.DepositedOut(
        deposit_number=done.deposit_number,
        slip=ReceiptOut(number=done.slip_number, receipt=done.slip, compact=done.slip_compact),
        registration_number=done.registration_number,
        dependent_id=done.dependent_id,
        care_kind=done.care_kind,
        care_from=done.care_from,
        care_to=done.care_to,
        amount_spent_centimes=done.amount_spent_centimes,
        documents=done.documents,
        deadline=done.deadline,
        warnings=[
            s.DepositWarningOut.model_validate(w, from_attributes=True) for w in done.warnings
        ],
        business_date=done.business_date,
    ).model_dump(mode="json")


DEPOSIT = WriteKind("deposit", _deposit, _deposited)


def deposit(call: Call) -> Response:
    return call.run(DEPOSIT, _Deposit(call.who(), call.at_terminal(), call.body(s.DepositIn)))


@dataclass(frozen=True)
class _Cancellation:
    actor: Actor
    terminal: TerminalContext
    deposit_number: str
    reason: str
    supervisor: User


def _cancel(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Cancellation
) -> Done[Cancelled]:
    done = services.deposits.cancel(
        uow,
        r.actor,
        r.terminal,
        write,
        deposit_number=r.deposit_number,
        reason=r.reason,
        supervisor=r.supervisor,
    )
    return Done(done, done.decision())


def _cancelled(done: Cancelled) -> object:
    return s.DepositCancelledOut(
        receipt=ReceiptOut(number=done.receipt_number, receipt=done.receipt, compact=done.compact),
        deposit_number=done.deposit_number,
        cancels=done.cancels,
        business_date=done.business_date,
    ).model_dump(mode="json")


CANCEL = WriteKind("deposit_cancel", _cancel, _cancelled)


async def cancel(call: Call) -> Response:
    body = call.body(s.DepositCancellationIn)
    actor, terminal = call.who(), call.at_terminal()
    number = path_value(call.path("deposit_number"), "deposit_number")
    # As for a reversal: the supervisor's own credentials, checked before the write opens.
    supervisor = await approving_supervisor(call, body.supervisor)
    if isinstance(supervisor, Response):
        return supervisor
    return await call.run_in_thread(
        CANCEL, _Cancellation(actor, terminal, number, body.reason, supervisor)
    )


@dataclass(frozen=True)
class _Closing:
    actor: Actor
    terminal: TerminalContext
    body: s.TransmittalIn


def _close(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Closing
) -> Done[Transmitted]:
    done = services.transmittals.close(uow, r.actor, r.terminal, write, day=r.body.business_date)
    return Done(done, done.decision())


def _closed(done: Transmitted) -> object:
    return s.TransmittedOut(
        number=done.number,
        manifest=done.manifest,
        business_date=done.business_date,
        deposits=done.deposits,
        count=len(done.deposits),
        documents=done.documents,
    ).model_dump(mode="json")


TRANSMIT = WriteKind("transmit", _close, _closed)


def transmit(call: Call) -> Response:
    return call.run(TRANSMIT, _Closing(call.who(), call.at_terminal(), call.body(s.TransmittalIn)))


async def of_worker(call: Call) -> Response:
    found = await run_in_threadpool(
        call.services.deposits.of_worker, call.path("registration_number")
    )
    return json_response(s.DepositList(items=[s.DepositLineOut.model_validate(v) for v in found]))


ENDPOINTS: list[Endpoint] = [
    Endpoint.signed_write(
        DEPOSIT,
        "POST",
        "/v1/deposits",
        deposit,
        "Take a worker's AMO reimbursement file and sign its deposit slip",
        "operator",
        COUNTER_STAFF,
        body=s.DepositIn,
        response=s.DepositedOut,
        tags=("deposits",),
    ),
    Endpoint.signed_write(
        CANCEL,
        "POST",
        "/v1/deposits/{deposit_number}/cancellation",
        cancel,
        "Cancel a same-day deposit with a supervisor's approval (the envelope handed back)",
        "operator",
        COUNTER_STAFF,
        body=s.DepositCancellationIn,
        response=s.DepositCancelledOut,
        tags=("deposits",),
        errors=(423, 429),
    ),
    Endpoint(
        "GET",
        "/v1/workers/{registration_number}/deposits",
        of_worker,
        "A worker's deposited files, at any office, and where each one is",
        "operator",
        COUNTER_STAFF,
        response=s.DepositList,
        tags=("deposits",),
    ),
    Endpoint.signed_write(
        TRANSMIT,
        "POST",
        "/v1/offices/current/transmittals",
        transmit,
        "Close this office's deposits of a day into a transmittal slip with a signed manifest",
        "operator",
        COUNTER_STAFF,
        body=s.TransmittalIn,
        response=s.TransmittedOut,
        tags=("deposits",),
    ),
]
