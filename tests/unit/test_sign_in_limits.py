"""The bounds on sign-in work: the hashing pool refuses at once when full, and the throttle
counts per source and per username, gives back what signed in, and spots who never waits."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from agent_api.services.sessions.passwords import HashingPool, PasswordHasher
from agent_api.services.sessions.sign_in_throttle import SignInThrottle, TooManyAttempts


class _BlockedHasher(PasswordHasher):
    """Hashes that finish only when the test says so."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=1024)
        self.release = threading.Event()

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.release.wait(10)
        return super().verify(password_hash, password)


def test_a_full_hashing_pool_refuses_at_once_and_takes_work_again_when_a_hash_is_done() -> None:
    hasher = _BlockedHasher()
    pool = HashingPool(hasher, threads=1, queue=1)

    async def scenario() -> tuple[list[bool], float, bool]:
        running = [asyncio.ensure_future(pool.verify(None, "x")) for _ in range(2)]
        await asyncio.sleep(0.05)
        began = asyncio.get_running_loop().time()
        with pytest.raises(TooManyAttempts) as refused:
            await pool.verify(None, "x")
        waited = asyncio.get_running_loop().time() - began
        assert refused.value.retry_after_seconds >= 1
        hasher.release.set()
        done = list(await asyncio.gather(*running))
        return done, waited, await pool.verify(None, "x")

    done, waited, again = asyncio.run(scenario())
    pool.close()
    assert done == [False, False]
    assert waited < 0.05
    assert again is False


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_username_is_throttled_however_it_is_spelled_and_whether_or_not_it_exists() -> None:
    throttle = SignInThrottle(_Clock(), per_source=100, per_username=2, window_seconds=60)
    throttle.admit("10.0.0.1", "ghost")
    throttle.admit("10.0.0.2", " GHOST ")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.admit("10.0.0.3", "Ghost")
    assert refused.value.retry_after_seconds == 60
    assert refused.value.persistent is False


def test_what_signs_in_is_given_back_and_a_new_window_starts_afresh() -> None:
    clock = _Clock()
    throttle = SignInThrottle(clock, per_source=2, per_username=100, window_seconds=60)
    for n in range(10):
        throttle.forgive(throttle.admit("10.0.0.1", f"staff.{n}"))
    throttle.admit("10.0.0.1", "a")
    throttle.admit("10.0.0.1", "b")
    with pytest.raises(TooManyAttempts):
        throttle.admit("10.0.0.1", "c")
    clock.now += timedelta(seconds=60)
    throttle.admit("10.0.0.1", "c")


def test_a_sender_refused_more_often_than_it_was_admitted_is_told_apart() -> None:
    throttle = SignInThrottle(_Clock(), per_source=3, per_username=100, window_seconds=60)
    for n in range(3):
        throttle.admit("10.0.0.1", f"u{n}")
    flags = []
    for n in range(5):
        with pytest.raises(TooManyAttempts) as refused:
            throttle.admit("10.0.0.1", f"v{n}")
        flags.append(refused.value.persistent)
    assert flags == [False, False, False, True, True]
