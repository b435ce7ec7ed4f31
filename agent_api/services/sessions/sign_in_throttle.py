"""How many back-office sign-in attempts are admitted, per source address and per username.

An attempt is counted when it is admitted, before its password is hashed, so that concurrent
attempts all count; a successful sign-in gives its count back, so staff signing in from one
office address never throttle each other. A throttled attempt is refused (429) without
reading the database or hashing anything: the refusal is cheaper than the attack. A username
that does not exist is counted like one that does, so the throttle tells nothing either.

The counts are kept per server process, and that is enough for what they protect: the
process's own hashing threads (each process hashes only what it admitted, so each bounds
its own CPU). With N processes a source gets N times the budget, which is still a handful
of hashes a second. Guessing a back-office password is bounded across processes by the
account lockout, which is in the database; counter staff cannot be guessed nor locked from
this path at all (``AuthService.admin_login``).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent_api.clock import Clock
from agent_api.errors import RateLimited


@dataclass
class _Window:
    started_at: datetime
    count: int
    refused: int = 0


@dataclass(frozen=True)
class Admitted:
    """An attempt let through: its keys, to give the count back if it succeeds."""

    keys: tuple[str, str]
    started: tuple[datetime, datetime]


class TooManyAttempts(RateLimited):
    """Raised when sign-in attempts are refused for a while, before anything is hashed; the
    client may try again after ``retry_after_seconds`` (the HTTP ``Retry-After``).
    ``persistent``: the sender keeps trying regardless, and its answers may be slowed."""

    def __init__(self, message: str, *, retry_after_seconds: int, persistent: bool = False) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.persistent = persistent


class SignInThrottle:
    def __init__(
        self, clock: Clock, *, per_source: int, per_username: int, window_seconds: int
    ) -> None:
        self._clock = clock
        self._limits = (per_source, per_username)
        self._window = timedelta(seconds=window_seconds)
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._next_prune = clock()

    def admit(self, source: str, username: str) -> Admitted:
        """Count one attempt from ``source`` for ``username``, or refuse it."""
        now = self._clock()
        # Case and surrounding blanks do not make another username to the throttle.
        keys = (f"source:{source}", f"username:{username.strip().casefold()}")
        with self._lock:
            self._prune(now)
            windows = [self._current(key, now) for key in keys]
            for window, limit in zip(windows, self._limits, strict=True):
                if window.count >= limit:
                    ends = window.started_at + self._window
                    window.refused += 1  # a stored window: its count reached the limit
                    raise TooManyAttempts(
                        "too many sign-in attempts; wait before trying again",
                        retry_after_seconds=max(1, math.ceil((ends - now).total_seconds())),
                        # Refused more often than it was admitted: not a person retyping.
                        persistent=window.refused > limit,
                    )
            for key, window in zip(keys, windows, strict=True):
                window.count += 1
                self._windows[key] = window
            return Admitted(keys, (windows[0].started_at, windows[1].started_at))

    def forgive(self, admitted: Admitted) -> None:
        """Give back the count of an attempt that signed in."""
        with self._lock:
            for key, started in zip(admitted.keys, admitted.started, strict=True):
                window = self._windows.get(key)
                if window is not None and window.started_at == started and window.count > 0:
                    window.count -= 1

    def _current(self, key: str, now: datetime) -> _Window:
        window = self._windows.get(key)
        if window is None or window.started_at + self._window <= now:
            return _Window(now, 0)
        return window

    def _prune(self, now: datetime) -> None:
        """Forget finished windows, once a window: memory holds what one window admitted."""
        if now < self._next_prune:
            return
        self._windows = {
            key: window
            for key, window in self._windows.items()
            if window.started_at + self._window > now
        }
        self._next_prune = now + self._window
