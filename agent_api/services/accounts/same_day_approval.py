"""A supervisor's approval of undoing, at the counter, what was done there the same business
day: a collection reversed (the cash handed back), a deposit cancelled (the envelope handed
back). The rules are the same for both, so they live once, here:

- only what belongs to today's business day can be undone at the counter (later, CNSS
  finance corrects it);
- the day must still be open, and stays open while the undoing is recorded: the day's
  assignment row is held (``assign_day``), so a closing waits for it;
- the supervisor who approves is not the operator who did it: nobody approves their own
  mistake.

The supervisor's credentials were checked before the write opened
(``terminal_auth.check_supervisor``, throttled, one answer for every refusal); this is the
part that needs the row being undone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session

from agent_api.domain.business_day import business_date
from agent_api.errors import Conflict
from agent_api.persistence.tables import User
from agent_api.services.accounts.business_days import assign_day, is_closed


@dataclass(frozen=True)
class Undoing:
    """What is undone, in the words of its refusals."""

    thing: str  # "collection", "deposit"
    number: str  # the receipt or deposit number
    undone: str  # "reversed", "cancelled"
    done_by: str  # what the operator did: "collected", "took the deposit"
    window_code: str  # the refusal's code past the day
    advice: str = ""  # what to do instead, after the refusal, when there is something


def approve_same_day(
    session: Session,
    now: datetime,
    cutoff: time,
    undoing: Undoing,
    *,
    network_id: int,
    business_day: date,
    operator_id: int,
    supervisor: User,
) -> date:
    """Today's business day, once the undoing may go ahead; else a ``Conflict``:
    ``undoing.window_code`` past the day, ``day_closed``, or ``same_person``."""
    today = business_date(now, cutoff)
    advice = f". {undoing.advice}" if undoing.advice else ""
    if business_day != today:
        raise Conflict(
            f"{undoing.thing} {undoing.number} belongs to business day "
            f"{business_day.isoformat()}; only the same day's {undoing.thing}s can be "
            f"{undoing.undone} at the counter{advice}",
            code=undoing.window_code,
        )
    # Hold today's day open while the undoing is recorded (closing waits for it).
    if assign_day(session, network_id, today).business_date != today or is_closed(
        session, network_id, business_day
    ):
        closed = f"; {undoing.advice[:1].lower()}{undoing.advice[1:]}" if undoing.advice else ""
        raise Conflict(
            f"business day {business_day.isoformat()} is closed{closed.rstrip('.')}",
            code="day_closed",
        )
    if supervisor.id == operator_id:
        raise Conflict(
            f"the supervisor who approves must not be the operator who {undoing.done_by}",
            code="same_person",
            field="supervisor.username",
        )
    return today
