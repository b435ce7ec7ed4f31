"""Business dates: the day a collection belongs to, in Morocco's time, with a cutoff.

Africa/Casablanca through zoneinfo (the clock moves around Ramadan). With a cutoff of
20:00, a collection at 20:30 local time belongs to the next business day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from agent_api.clock import CASABLANCA


def business_date(instant: datetime, cutoff: time = time(0, 0)) -> date:
    local = instant.astimezone(CASABLANCA)
    if cutoff != time(0, 0) and local.time() >= cutoff:
        return local.date() + timedelta(days=1)
    return local.date()


def parse_cutoff(text: str) -> time:
    """``HH:MM`` (24 h)."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError("must be HH:MM")
    return time(int(hours), int(minutes))
