"""The injectable clock: every "now" in the service comes from here, timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

# Business dates are Moroccan: Morocco moves its clock around Ramadan, so a fixed offset is
# wrong part of the year; zoneinfo carries the real rules.
CASABLANCA = ZoneInfo("Africa/Casablanca")


def utc_now() -> datetime:
    return datetime.now(UTC)
