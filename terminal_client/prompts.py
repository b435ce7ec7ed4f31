"""Reading secrets: without echo at a terminal, one line from standard input when piped
(scripts and tests), and the key passphrase from the environment when set."""

from __future__ import annotations

import getpass
import os
import sys


def read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def passphrase_from_environment() -> bytes | None:
    value = os.environ.get("QURB_TERMINAL_PASSPHRASE")
    return value.encode() if value else None
