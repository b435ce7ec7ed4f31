"""What every command shares: the operator's context (state, language, streams), the
checks that a terminal is activated and signed in, and sending the queue first."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from terminal_client import escpos
from terminal_client.api import Outcome, Patience, ServiceError, Terminal, signed_document
from terminal_client.home import Home, HomeError
from terminal_client.i18n import N_, translator
from terminal_client.label import print_label
from terminal_client.messages import Exit, explain
from terminal_client.money import format_mad
from terminal_client.outbox import Item
from terminal_client.printing import qr_text
from terminal_client.prompts import passphrase_from_environment, read_secret
from terminal_client.receipts import decode_unverified
from terminal_client.ticket import qr_content, render_ticket

CASABLANCA = ZoneInfo("Africa/Casablanca")  # business dates are Moroccan


class BadInput(Exception):
    """What the operator typed cannot be sent."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def refusal_code(error: ServiceError) -> str:
    """The code an operator's sentence is chosen by: a wrong password or a locked account
    named ``supervisor`` is the approving supervisor's (status 3), and the operator's own
    session is fine; only these codes without that field are the operator's own (status 4)."""
    field = error.field
    if error.code in _SUPERVISORS_OWN and field is not None and field.split(".")[0] == "supervisor":
        return _SUPERVISORS_OWN[error.code]
    return error.code


_SUPERVISORS_OWN = {
    "invalid_credentials": "supervisor_credentials_refused",
    "account_locked": "supervisor_account_locked",
}


class Explained(Exception):
    """A refusal already worded for the operator: translated, with its figures filled in
    (the CLI prints it as it is), and the exit status it gives (docs/terminal.md)."""

    def __init__(self, sentence: str, status: int) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.status = status


@dataclass
class Context:
    home: Home
    lang: str
    out: TextIO
    err: TextIO
    read_secret: Callable[[str], str] | None = None
    ask: Callable[[str], str] = input
    patience: Patience = field(default_factory=Patience)
    _terminal: Terminal | None = field(default=None, repr=False)
    _told_waiting: bool = field(default=False, repr=False)

    def _(self, text: str) -> str:
        return translator(self.lang)(text)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def terminal(self) -> Terminal:
        if self._terminal is None:
            config = self.home.config()
            passphrase = None
            if config.get("encrypted"):
                passphrase = (
                    passphrase_from_environment()
                    or (self.read_secret or read_secret)(f"{self._('Passphrase')}: ").encode()
                )
            self._terminal = Terminal(
                self.home, passphrase=passphrase, patience=self.patience, waiting=self._waiting
            )
        return self._terminal

    def public_url(self) -> str | None:
        """Where a worker's phone reaches the hub: the config's ``public_url`` when the
        counter reaches the hub by another address, else the hub's address itself."""
        try:
            config = self.home.config()
        except HomeError:
            return None
        found = config.get("public_url") or config.get("server")
        return str(found) if found else None

    def _waiting(self, seconds: float) -> None:
        """Said once a command, on stderr (stdout may be a ticket piped to a printer)."""
        if not self._told_waiting:
            self._told_waiting = True
            text = self._("Waiting for the server… (giving up after {seconds} s)")
            print(text.format(seconds=f"{seconds:g}"), file=self.err, flush=True)

    def close(self) -> None:
        if self._terminal is not None:
            self._terminal.close()

    def opened_terminal(self) -> Terminal | None:
        """The terminal if this command opened it (nothing is opened just to look)."""
        return self._terminal

    def secret(self, prompt: str) -> str:
        return (self.read_secret or read_secret)(prompt)


def need_activation(ctx: Context) -> Terminal:
    if "terminal_id" not in ctx.home.config():
        raise HomeError("not_activated", "this terminal is not activated yet")
    return ctx.terminal()


def need_session(ctx: Context) -> Terminal:
    terminal = need_activation(ctx)
    if ctx.home.session() is None:
        raise HomeError("not_logged_in", "no operator is signed in on this terminal")
    sync_first(ctx, terminal)
    return terminal


def sync_first(ctx: Context, terminal: Terminal) -> None:
    """Every command first sends what is queued, and prints the final receipts."""
    for outcome in deliver_queue(ctx, terminal):
        report_synced(ctx, outcome)


def deliver_queue(ctx: Context, terminal: Terminal) -> list[Outcome]:
    """Send what is queued, in order, adopting a key rotation the service accepted; the
    outcomes, for the command line to print and the counter's screens to show."""
    if not terminal.outbox.pending():
        return []
    outcomes = terminal.sync()
    for outcome in outcomes:
        if outcome.state == "done" and outcome.label == ROTATION:
            adopt_rotated_key(ctx, terminal, outcome.body)
    return outcomes


ROTATION = "key rotation"


def adopt_rotated_key(ctx: Context, terminal: Terminal, answer: dict[str, Any]) -> None:
    """The service accepted the staged key: it becomes this terminal's key, and the
    sessions bound to the old one are gone."""
    staged = ctx.home.staged_key(terminal._passphrase)
    if staged is None:
        return
    ctx.home.promote_staged_key()
    terminal.use_key(staged)
    ctx.home.update_config(keyid=answer["keyid"])
    ctx.home.save_session(None)


def report_synced(ctx: Context, outcome: Outcome) -> None:
    label = shown_label(ctx, outcome.label)
    if outcome.state == "done":
        ctx.say(f"✔ #{outcome.seq} {label}")
        body = outcome.body
        if isinstance(body, dict) and isinstance(body.get("deposit_number"), str):
            # A deposit queued offline: its envelope gets its label now.
            say_label(ctx, body["deposit_number"])
        print_receipt_of(ctx, body)
    elif outcome.state == "refused":
        error = outcome.error()
        why = explain(error.code, ctx.lang, field=error.field, details=error.details)
        ctx.say(f"✘ #{outcome.seq} {label}: {why}")
    else:
        queued = ctx._("Queued: will be sent when the network is back")
        ctx.say(f"… #{outcome.seq} {label}: {queued}")


# What each outbox label (stored in English, the same in every language) reads as.
_LABELS = {
    "pay": N_("Collection"),
    "declare": N_("Declared days"),
    "reverse": N_("Reversal"),
    "certificate": N_("Certificate"),
    "enrollment": N_("Enrollment"),
    "amendment": N_("Amendment"),
    "lookup": N_("CIN lookup"),
    "activation": N_("Activation"),
    "key rotation": N_("Key change"),
    "sign-in": N_("Sign-in"),
    "sign-out": N_("Sign-out"),
    "drawer close": N_("Drawer close"),
    "deposit": N_("Deposit"),
    "deposit cancel": N_("Deposit cancellation"),
    "transmittal": N_("Transmittal slip"),
}
_DAY_COUNT = re.compile(r"\((\d+) d\)$")


def shown_label(ctx: Context, label: str) -> str:
    """An outbox label in the operator's language: ``pay 0000000171 12,50 MAD`` reads
    ``Encaissement 0000000171 12,50 MAD``; what follows the kind is numbers and names."""
    for kind in sorted(_LABELS, key=len, reverse=True):
        if label == kind or label.startswith(kind + " "):
            rest = _DAY_COUNT.sub(r"(\1)", label[len(kind) :])
            return ctx._(_LABELS[kind]) + rest
    return label


def answer_of(outcome: Outcome) -> Any:
    if outcome.state == "refused":
        raise outcome.error()
    return outcome.body


def print_receipt_of(ctx: Context, body: Any, width: int = 58) -> None:
    """The receipt in an answer on the screen, and on the receipt printer when one is set (a
    printer that fails is said; the operation stays done)."""
    receipt = signed_document(body)
    if receipt is not None:
        claims = decode_unverified(str(receipt["receipt"]))
        if isinstance(body.get("warnings"), list) and body["warnings"]:
            # A deposit's answer names each warning's month and deadline; its slip, the codes.
            claims = {**claims, "warnings": body["warnings"]}
        shown: Literal[58, 80] = 80 if width == 80 else 58
        text = render_ticket(claims, width=shown, lang=ctx.lang)
        ctx.say(text)
        compact = receipt.get("compact")
        qr = qr_content(str(receipt["receipt"]), compact, ctx.public_url())
        ctx.say(qr_text(qr))
        try:
            send_to_printer(ctx, text, qr, shown)
        except Explained as failed:
            ctx.say(failed.sentence)


def say_label(ctx: Context, number: str, width: Literal[58, 80] = 58) -> None:
    """The envelope's label: its number on screen, its barcode on the printer when set."""
    ctx.say(f"{ctx._('Envelope label')}: {number}")
    try:
        printer = escpos.open_printer(ctx.home.config(), width)
        if printer is None:
            return
        try:
            print_label(printer, number, width=width)
        finally:
            printer.close()
    except (OSError, escpos.PrinterSettingError, escpos.PrinterUnreachable):
        ctx.say(ctx._(PRINTER_FAILED))


PRINTER_FAILED = N_(
    "The printer did not print: check that it is on, connected and has paper, then print again."
)


def send_to_printer(ctx: Context, text: str, qr_data: str | None, width: Literal[58, 80]) -> bool:
    """``text`` (and its QR) on the configured printer; whether a printer is set. A printer
    that cannot be opened or written is a sentence, never a traceback."""
    config: dict[str, Any] = ctx.home.config()
    try:
        printer = escpos.open_printer(config, width)
        if printer is None:
            return False
        try:
            escpos.print_ticket(printer, text, qr_data, width=width)
        finally:
            printer.close()
    except (OSError, escpos.PrinterSettingError, escpos.PrinterUnreachable):
        text = ctx._(
            "The printer did not print: check that it is on, connected and has paper, then "
            "print again."
        )
        raise Explained(text, Exit.ERROR) from None
    return True


PAYMENT_PATH = "/v1/contributions"


def _payload(item: Item) -> dict[str, Any]:
    try:
        body = json.loads(item.body) if item.body else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def say_outbox_holdings(ctx: Context, terminal: Terminal) -> None:
    """What this terminal holds that the service has not received: its queued collections
    (count and cash, which is in the drawer but on no server total yet) and other writes."""
    held = outbox_holdings(terminal)
    ctx.say(ctx._("Held in this terminal's outbox, not yet sent to CNSS:"))
    ctx.say(f"  {ctx._('Collections')}: {held.collections}  {format_mad(held.cash_centimes)}")
    if held.others:
        ctx.say(f"  {ctx._('Other operations')}: {held.others}")


@dataclass(frozen=True)
class Holdings:
    """What the outbox holds unsent: queued collections, their cash, other writes."""

    collections: int
    cash_centimes: int
    others: int


def outbox_holdings(terminal: Terminal) -> Holdings:
    pending = terminal.outbox.pending()
    payments = [i for i in pending if i.method == "POST" and i.path == PAYMENT_PATH]
    cash = sum(int(_payload(i).get("amount_centimes", 0)) for i in payments)
    return Holdings(len(payments), cash, len(pending) - len(payments))


def provisional_claims(ctx: Context, item: Item) -> dict[str, Any] | None:
    """The provisional ticket of a queued payment, rebuilt from what the outbox stored
    (the same ticket ``pay`` printed); None for a write that is not a payment."""
    if item.method != "POST" or item.path != PAYMENT_PATH:
        return None
    body = _payload(item)
    config = ctx.home.config()
    session = ctx.home.session() or {}
    signed_with = item.headers.get("Authorization") or item.headers.get("authorization")
    same_session = session.get("token") and signed_with == f"Bearer {session['token']}"
    return {
        "kind": "collection",
        "receipt_number": f"#{item.seq}",
        "registration_number": body.get("registration_number"),
        "amount_centimes": body.get("amount_centimes"),
        "months": [],
        "office": (config.get("office") or {}).get("code"),
        "terminal": config.get("terminal_id"),
        "operator": session.get("username") if same_session else None,
        "signed_at": datetime.fromtimestamp(item.created, UTC).isoformat(),
    }
