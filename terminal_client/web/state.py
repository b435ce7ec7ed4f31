"""The counter process's state, shared by every screen: the terminal's folder, the key's
passphrase (asked once at start), the browser signed in, and one lock.

One operator works one counter: the lock makes each screen's work (reads, the outbox's
writes, the queue's delivery) run one at a time, as the command line's commands do, so two
clicks never send the queue twice at once nor take two sequence numbers out of order.
"""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from terminal_client.api import Patience, Terminal
from terminal_client.commands.context import Context
from terminal_client.home import Home


class NoPrompt(Exception):
    """The browser process never asks on a terminal: the passphrase was given at start."""


def _no_prompt(_prompt: str) -> str:
    raise NoPrompt


@dataclass
class Counter:
    home: Home
    default_lang: str
    passphrase: bytes | None = None
    patience: Patience = field(default_factory=Patience)
    hosts: frozenset[str] = frozenset()
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # The cookie of the browser an operator signed in from (None: nobody, here).
    signed_in: str | None = None
    # Confirmation forms already used: a second Enter shows the first payment's ticket.
    used_confirmations: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def work(self, lang: str) -> Iterator[Context]:
        """A command's context for one screen, under the lock, with its own connection to
        the outbox (SQLite connections stay in their thread)."""
        with self.lock:
            ctx = Context(
                home=self.home,
                lang=lang,
                out=io.StringIO(),
                err=io.StringIO(),
                read_secret=_no_prompt,
                ask=_no_prompt,
                patience=self.patience,
            )
            ctx._terminal = Terminal(self.home, passphrase=self.passphrase, patience=self.patience)
            try:
                yield ctx
            finally:
                ctx.close()
