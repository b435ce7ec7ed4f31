"""The office's day: every collection and reversal of a business date, and its totals by
operator. Office scope only: a counter sees its own office, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select

from agent_api.domain.roles import Actor
from agent_api.persistence.tables import Contribution, Receipt, Reversal, User, Worker
from agent_api.persistence.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class CollectionLine:
    receipt_number: str
    registration_number: str
    amount_centimes: int
    operator: str
    recorded_at: datetime
    offline: bool
    reversed_by: str | None


@dataclass(frozen=True)
class OperatorTotal:
    operator: str
    count: int
    gross_centimes: int
    reversed_centimes: int


@dataclass(frozen=True)
class DaySummary:
    business_date: date
    office: str
    count: int
    gross_centimes: int
    reversals: int
    reversed_centimes: int
    net_centimes: int
    by_operator: list[OperatorTotal]


class OfficeDayService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def collections(self, actor: Actor, day: date) -> list[CollectionLine]:
        with self._uow() as uow:
            rows = uow.session.exec(
                select(Contribution, Receipt.number, Worker.registration_number, User.username)
                .join(Receipt, Receipt.id == Contribution.receipt_id)  # type: ignore[arg-type]
                .join(Worker, Worker.id == Contribution.worker_id)  # type: ignore[arg-type]
                .join(User, User.id == Contribution.operator_id)  # type: ignore[arg-type]
                .where(Contribution.office_id == actor.office_id)
                .where(Contribution.business_date == day)
                .order_by(col(Contribution.id))
            ).all()
            reversed_by = dict(
                uow.session.exec(
                    select(Reversal.contribution_id, Receipt.number)
                    .join(Receipt, Receipt.id == Reversal.receipt_id)  # type: ignore[arg-type]
                    .where(col(Reversal.contribution_id).in_([c.id for c, *_ in rows]))
                ).all()
            )
        return [
            CollectionLine(
                receipt_number=number or "",
                registration_number=rn or "",
                amount_centimes=c.amount_centimes,
                operator=username,
                recorded_at=c.recorded_at,
                offline=c.offline,
                reversed_by=reversed_by.get(c.id or 0),
            )
            for c, number, rn, username in rows
        ]

    def summary(self, actor: Actor, day: date, office_code: str) -> DaySummary:
        lines = self.collections(actor, day)
        with self._uow() as uow:
            reversals = uow.session.exec(
                select(Reversal)
                .where(Reversal.office_id == actor.office_id)
                .where(Reversal.business_date == day)
            ).all()
        operators: dict[str, list[int]] = {}
        for line in lines:
            totals = operators.setdefault(line.operator, [0, 0, 0])
            totals[0] += 1
            totals[1] += line.amount_centimes
            if line.reversed_by:
                totals[2] += line.amount_centimes
        gross = sum(line.amount_centimes for line in lines)
        reversed_total = sum(r.amount_centimes for r in reversals)
        return DaySummary(
            business_date=day,
            office=office_code,
            count=len(lines),
            gross_centimes=gross,
            reversals=len(reversals),
            reversed_centimes=reversed_total,
            net_centimes=gross - reversed_total,
            by_operator=[
                OperatorTotal(name, count, gross_op, reversed_op)
                for name, (count, gross_op, reversed_op) in sorted(operators.items())
            ],
        )
