"""Password hashing with argon2id, on threads of its own.

argon2 is slow on purpose (tens of milliseconds of a core per hash). Run on the threads that
serve signed writes, a burst of sign-ins took them all and collections waited behind the
hashes (issue 16: twenty concurrent bad sign-ins took collections from 20 ms to 5.8 s).
``HashingPool`` runs every hash on a small executor of its own and refuses at once (429)
when its queue is full, so a flood costs its authors their sign-ins and nobody else a thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from agent_api.services.sessions.sign_in_throttle import TooManyAttempts

T = TypeVar("T")
# What a refused hash asks the client to wait: a hash or two ahead of it will be done by then.
BUSY_RETRY_AFTER_SECONDS = 1


class PasswordHasher:
    def __init__(self, *, time_cost: int, memory_kib: int) -> None:
        self._argon2 = _Argon2(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        # Verified against when the username is unknown, so that a wrong username costs the
        # same time as a wrong password and does not reveal which accounts exist.
        self._decoy = self._argon2.hash("decoy password for unknown users")

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash or self._decoy, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


# The hashing threads' niceness: when a hash and a request compete for a core, the request
# gets it (argon2 releases the interpreter's lock, so the hash waits only for the core).
HASHING_NICENESS = 10


def _yield_the_cpu() -> None:
    """Lower the calling thread's CPU priority (Linux schedules threads one by one: a thread
    id is a valid ``PRIO_PROCESS`` target); elsewhere, or without the right, nothing."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class HashingPool:
    """At most ``threads`` hashes at once on threads of their own, at most ``queue`` more
    waiting; any more is refused before it is hashed (``TooManyAttempts``)."""

    def __init__(self, hasher: PasswordHasher, *, threads: int, queue: int) -> None:
        self._hasher = hasher
        self._executor = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="password", initializer=_yield_the_cpu
        )
        self._capacity = threads + queue
        self._taken = 0
        self._lock = threading.Lock()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``password_hash`` (None: checked against the decoy,
        at the same cost, and never matches)."""
        return await self._run(lambda: self._hasher.verify(password_hash, password))

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def _run(self, work: Callable[[], T]) -> T:
        with self._lock:
            if self._taken >= self._capacity:
                raise TooManyAttempts(
                    "too many sign-ins are being checked at once; retry in a moment",
                    retry_after_seconds=BUSY_RETRY_AFTER_SECONDS,
                )
            self._taken += 1
        future = self._executor.submit(work)
        # Released when the hash is done, not when the caller stops waiting: a client that
        # hangs up does not free a slot its hash still occupies.
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _done: Future[T]) -> None:
        with self._lock:
            self._taken -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
