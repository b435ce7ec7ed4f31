"""How the back office writes amounts, dates and times: the reports' own conventions, so a
figure reads the same on a screen, a printed report and a statement.

Amounts are ``1 234,56 MAD`` (``reconciliation.report_html.mad``: no-break space between
thousands, decimal comma), dates ``20/11/2026``, times Africa/Casablanca to the minute.
"""

from __future__ import annotations

from datetime import date, datetime

from agent_api.clock import CASABLANCA
from reconciliation.report_html import mad


def money(centimes: int | None) -> str:
    return "" if centimes is None else mad(centimes)


def day(value: date | str | None) -> str:
    if value is None:
        return ""
    found = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{found:%d/%m/%Y}"


def minute(instant: datetime | str | None) -> str:
    """An instant as Casablanca reads it: ``20/11/2026 14:05``."""
    if instant is None:
        return ""
    found = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    return f"{found.astimezone(CASABLANCA):%d/%m/%Y %H:%M}"


def day_of(instant: datetime) -> str:
    """The Casablanca date of an instant."""
    return f"{instant.astimezone(CASABLANCA):%d/%m/%Y}"


def time_of(instant: datetime) -> str:
    """The Casablanca time of an instant, to the minute."""
    return f"{instant.astimezone(CASABLANCA):%H:%M}"


FILTERS = {"money": money, "day": day, "minute": minute, "day_of": day_of, "time_of": time_of}
