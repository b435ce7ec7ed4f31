"""The ``qurb-terminal`` commands, by area. Output goes to the context's streams, labels
through the operator's language; refusals are raised and turned into sentences by the CLI."""

from terminal_client.commands.context import BadInput, Context, refusal_code
from terminal_client.commands.journal import receipts_today, reprint
from terminal_client.commands.money import (
    certificate,
    day,
    declare_day,
    pay,
    quote,
    reverse,
    rights,
)
from terminal_client.commands.records import (
    outbox_list,
    outbox_sync,
    receipt_print,
    receipt_show,
    receipt_verify,
)
from terminal_client.commands.serve import serve
from terminal_client.commands.setup import activate, init, login, logout, rotate_key, status
from terminal_client.commands.workers import amend, enroll, find

__all__ = [
    "BadInput",
    "Context",
    "activate",
    "amend",
    "certificate",
    "day",
    "declare_day",
    "enroll",
    "find",
    "init",
    "login",
    "logout",
    "outbox_list",
    "outbox_sync",
    "pay",
    "quote",
    "receipt_print",
    "receipt_show",
    "receipt_verify",
    "receipts_today",
    "refusal_code",
    "reprint",
    "reverse",
    "rights",
    "rotate_key",
    "serve",
    "status",
]
