"""``qurb-terminal``: the counter operator's tool.

Every write is signed and stored in the outbox before it is sent; when the network is down
it is queued, the operator gets a provisional ticket, and the next command (or
``outbox sync``) sends it. Errors are sentences an operator understands, in French or
Arabic, and each maps to a documented exit code (docs/terminal.md).

The operator never sees a Python traceback: Ctrl-C or the end of input at a prompt stops
with one sentence, and an error nobody foresaw is written to ``errors.log`` in the
terminal's folder for support while the operator is told where it is.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from terminal_client import commands
from terminal_client.api import NetworkUnreachable, Patience, ServiceError, Terminal
from terminal_client.commands import deposits, drawer, printer
from terminal_client.commands.context import Explained
from terminal_client.deposits import CARE_KINDS
from terminal_client.home import Home, HomeError, default_home
from terminal_client.i18n import LANGUAGES, N_
from terminal_client.messages import Exit, exit_code, explain
from terminal_client.receipts import ReceiptInvalid

Runner = Callable[[commands.Context, argparse.Namespace], int]

INTERRUPTED = 130  # 128 + SIGINT: what shells report for a program stopped by Ctrl-C
TIMEOUT_VARIABLES = ("QURB_TERMINAL_TIMEOUT", "QURB_TERMINAL_CONNECT_TIMEOUT")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = Home(args.home or default_home())
    lang = args.lang or _configured_lang(home)
    context = commands.Context(home=home, lang=lang, out=sys.stdout, err=sys.stderr)
    run: Runner = args.run
    try:
        context.patience = _patience(context, args)
        return run(context, args)
    except REFUSALS as exc:
        return _refuse(context, exc)
    except (KeyboardInterrupt, EOFError) as exc:
        return _stopped(context, exc)
    except BrokenPipeError:
        # The reader (| head, a closed pager) went away: nothing left to say to it.
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - the last guard: a sentence, never a traceback
        return _unexpected(context, args, exc)
    finally:
        with contextlib.suppress(Exception, KeyboardInterrupt):
            context.close()


REFUSALS = (
    ServiceError,
    NetworkUnreachable,
    HomeError,
    ReceiptInvalid,
    commands.BadInput,
    Explained,
)


def _refuse(context: commands.Context, exc: Exception) -> int:
    if isinstance(exc, Explained):
        print(exc.sentence, file=context.err)
        return exc.status
    return _fail(context, *_describe(exc))


def _describe(
    exc: BaseException,
) -> tuple[str, str | None, str | None, Mapping[str, object] | None]:
    """(error code, message, field, the figures the server gave) of a refusal, for the
    operator's sentence: a refusal that says "at most X" needs X."""
    if isinstance(exc, ServiceError):
        code = commands.refusal_code(exc)
        if code != exc.code:
            # The approving supervisor's password was wrong (or their account locked); the
            # operator's own session is fine (refusal_code).
            return code, exc.message, exc.field, None
        return exc.code, exc.message, exc.field, exc.details
    if isinstance(exc, NetworkUnreachable):
        # Queued writes never get here (they are answered with a provisional ticket): this
        # is a read, or a write that is never queued, and nothing was recorded.
        return "server_unreachable", None, None, None
    if isinstance(exc, HomeError):
        return exc.code, exc.message, None, None
    if isinstance(exc, ReceiptInvalid):
        return "receipt_invalid", str(exc), None, None
    assert isinstance(exc, commands.BadInput)
    return "bad_input", str(exc), exc.field, None


def _fail(
    context: commands.Context,
    code: str,
    message: str | None,
    field: str | None,
    details: Mapping[str, object] | None = None,
) -> int:
    sentence = explain(code, context.lang, server_message=message, field=field, details=details)
    print(sentence, file=context.err)
    return exit_code(code)


def _stopped(context: commands.Context, stop: BaseException) -> int:
    """Ctrl-C, or the end of input where an answer was expected: one sentence, no trace."""
    if isinstance(stop, KeyboardInterrupt):
        sentence, status = N_("Interrupted (Ctrl-C): stopped here."), INTERRUPTED
    else:
        sentence, status = N_("No answer was typed: stopped here."), Exit.BAD_INPUT
    print(file=context.err)  # off the prompt's line
    print(context._(sentence), file=context.err)
    _say_what_waits(context)
    return status


def _say_what_waits(context: commands.Context) -> None:
    """A write signed before the stop stays in the outbox and leaves with the next command."""
    terminal = context.opened_terminal()
    with contextlib.suppress(Exception):
        waiting = len(terminal.outbox.pending()) if terminal is not None else 0
        if waiting:
            text = context._("Writes waiting in the outbox: {count}. The next command sends them.")
            print(text.format(count=waiting), file=context.err)


def _unexpected(context: commands.Context, args: argparse.Namespace, exc: Exception) -> int:
    try:
        where: Path | None = context.home.record_error(_error_report(args, exc))
    except OSError:
        where = None
    if where is None:
        text = context._("Unexpected error: the command stopped. Call support.")
    else:
        text = context._(
            "Unexpected error: the command stopped. The details for support are in {path}."
        ).format(path=where)
    print(text, file=context.err)
    _say_what_waits(context)
    return Exit.ERROR


def _error_report(args: argparse.Namespace, exc: BaseException) -> str:
    """Where the program failed, for support: the command, the exception's type and the
    code's path through the program (file, line, function). Neither the exception's
    message, the arguments, a variable nor a line of source is written: any of them may
    hold a CIN, a phone number or a password."""
    command = getattr(args.run, "__name__", "?")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"{stamp} qurb-terminal {command}: {type(exc).__qualname__}\n"]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append("Traceback (most recent call last):\n")
        lines += [
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
            for frame in traceback.extract_tb(current.__traceback__)
        ]
        lines.append(f"{type(current).__module__}.{type(current).__qualname__}\n")
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("-- while handling, or caused by:\n")
    return "".join(lines) + "\n"


def _configured_lang(home: Home) -> str:
    try:
        lang = str(home.config().get("lang", "fr"))
    except (HomeError, OSError, ValueError, AttributeError):
        return "fr"
    return lang if lang in LANGUAGES else "fr"


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < 3600:
        raise ValueError(text)
    return value


def _patience(context: commands.Context, args: argparse.Namespace) -> Patience:
    """How long to wait for the server: the flags, else the environment, else 5 s to
    connect and 8 s for the whole answer."""
    chosen: list[float | None] = [args.timeout, args.connect_timeout]
    for index, name in enumerate(TIMEOUT_VARIABLES):
        if chosen[index] is None and os.environ.get(name):
            try:
                chosen[index] = _seconds(os.environ[name])
            except ValueError:
                text = context._("{name} must be a number of seconds above 0.")
                raise Explained(text.format(name=name), Exit.BAD_INPUT) from None
    total = chosen[0] or Patience.total
    return Patience(connect=min(chosen[1] or Patience.connect, total), total=total)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qurb-terminal", description=__doc__)
    parser.add_argument("--home", type=Path, help="state folder (default ~/.qurb-terminal)")
    parser.add_argument("--lang", choices=LANGUAGES, help="fr (default) or ar")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="give up on a server that does not answer within this time (default 8,"
        " or QURB_TERMINAL_TIMEOUT); a write is then queued",
    )
    parser.add_argument(
        "--connect-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="give up on connecting after this time (default 5, or QURB_TERMINAL_CONNECT_TIMEOUT)",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run: Runner, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(run=run)
        return p

    _setup_commands(command)
    _worker_commands(command)
    _money_commands(command)
    _deposit_commands(command, sub)
    _receipt_and_outbox_commands(sub)
    _drawer_and_printer_commands(sub)
    return parser


Command = Callable[[str, Runner, str], argparse.ArgumentParser]


def _setup_commands(command: Command) -> None:
    p = command("init", commands.init, "create this terminal's key and local state")
    p.add_argument("--server", required=True, help="the Qurb service, e.g. http://127.0.0.1:8000")
    p.add_argument("--encrypt", action="store_true", help="protect the key with a passphrase")
    p.add_argument("--language", choices=LANGUAGES, default="fr")
    p = command("activate", commands.activate, "register this terminal with its one-time code")
    p.add_argument("code")
    command("rotate-key", commands.rotate_key, "replace this terminal's key")
    command("status", commands.status, "server, terminal, office, operator and queued writes")
    p = command("login", commands.login, "operator sign-in (the password is not echoed)")
    p.add_argument("username", nargs="?")
    command("logout", commands.logout, "operator sign-out")
    p = command("serve", commands.serve, "the counter in a browser on this PC (127.0.0.1 only)")
    p.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")


def _worker_commands(command: Command) -> None:
    p = command("enroll", commands.enroll, "enroll a worker (prompts, or --from-json)")
    p.add_argument("--from-json", type=Path)
    p = command("find", commands.find, "find a worker by registration number or CIN")
    p.add_argument("registration_number", nargs="?")
    p.add_argument("--cin", action="store_true", help="type the CIN at a prompt")
    p = command("amend", commands.amend, "change a worker's phone, address, city or category")
    p.add_argument("registration_number")
    for name in ("phone", "address", "city", "category", "bracket", "document"):
        p.add_argument(f"--{name}")
    p.add_argument(
        "--add-dependent", metavar="FILE|-", help="a JSON file of dependents, or - for prompts"
    )
    p.add_argument("--remove-dependent", type=int, action="append", metavar="ID")
    p = command("rights", commands.rights, "a worker's health rights")
    p.add_argument("registration_number")
    p = command("certificate", commands.certificate, "print a rights or payment certificate")
    p.add_argument("registration_number")
    p.add_argument("--kind", choices=("rights", "payments"), default="rights")
    p.add_argument("--width", type=int, choices=(58, 80), default=58)


def _money_commands(command: Command) -> None:
    p = command("quote", commands.quote, "what a worker owes, month by month")
    p.add_argument("registration_number")
    p.add_argument("--through", help="YYYY-MM")
    p = command("pay", commands.pay, "collect a contribution and print the receipt")
    p.add_argument("registration_number")
    p.add_argument("amount", help="in MAD, e.g. 218,50")
    p.add_argument("--payer-phone")
    p.add_argument("--width", type=int, choices=(58, 80), default=58)
    p.add_argument("--yes", action="store_true", help="collect without asking (scripts)")
    p = command("declare-day", commands.declare_day, "declare a fishing worker's days")
    p.add_argument("registration_number")
    p.add_argument("--declared-by", required=True, help="boat owner or cooperative")
    p.add_argument("days", nargs="+", help="YYYY-MM-DD=EARNINGS (earnings in MAD)")
    p = command("reverse", commands.reverse, "reverse today's collection (supervisor approves)")
    p.add_argument("receipt_number")
    p.add_argument("--reason", required=True)
    p = command("day", commands.day, "the office's day: count, totals, by operator")
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")


def _deposit_commands(command: Command, sub: Any) -> None:
    text = (
        "take a worker's AMO reimbursement file (deposit RN, or --cin); "
        "deposit cancel D-… --reason … cancels one of today's (supervisor approves)"
    )
    p = command("deposit", deposits.deposit, text)
    p.add_argument("worker", nargs="?", help="the registration number, or cancel")
    p.add_argument("number", nargs="?", help="after cancel: the deposit number D-…")
    p.add_argument("--cin", action="store_true", help="find the worker by CIN (lists dependents)")
    p.add_argument("--dependent", type=int, metavar="ID", help="the beneficiary, a dependent")
    p.add_argument("--care-kind", choices=tuple(CARE_KINDS))
    p.add_argument("--from", dest="care_from", metavar="YYYY-MM-DD", help="first day of care")
    p.add_argument("--to", dest="care_to", metavar="YYYY-MM-DD", help="last day of care")
    p.add_argument("--amount", help="amount spent, in MAD, e.g. 342,50")
    p.add_argument("--documents", help="documents in the envelope (1 to 200)")
    p.add_argument(
        "--insist",
        action="store_true",
        help="the worker was told the warnings and insists (scripts; otherwise asked)",
    )
    p.add_argument("--label-png", type=Path, help="also write the envelope's label as PNG")
    p.add_argument("--reason", help="cancel: why the envelope is handed back")
    p.add_argument("--width", type=int, choices=(58, 80), default=58)
    p = command("deposits", deposits.deposits, "a worker's deposited files and where each is")
    p.add_argument("registration_number", nargs="?")
    p.add_argument("--cin", action="store_true", help="type the CIN at a prompt")

    group = sub.add_parser("transmittal", help="the day's transmittal slip to CNSS")
    actions = group.add_subparsers(required=True, metavar="ACTION")
    text = "close the office's deposits of a day into a slip and print the bordereau"
    p = actions.add_parser("close", help=text, description=text)
    p.set_defaults(run=deposits.transmittal_close)
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    p.add_argument("--width", type=int, choices=(58, 80), default=58)
    p.add_argument("--manifest", type=Path, help="also write the signed manifest to this file")


def _receipt_and_outbox_commands(sub: Any) -> None:
    receipt = sub.add_parser("receipt", help="show, print or verify a receipt")
    receipt_sub = receipt.add_subparsers(required=True, metavar="ACTION")
    for action, run, text in (
        ("show", commands.receipt_show, "show a receipt as a ticket, with its QR code"),
        ("print", commands.receipt_print, "write a receipt as PNG and/or PDF to print"),
        ("verify", commands.receipt_verify, "verify a receipt offline with the CNSS key"),
    ):
        p = receipt_sub.add_parser(action, help=text, description=text)
        p.set_defaults(run=run)
        p.add_argument("receipt", help="a receipt number, a file holding the JWS, or the JWS")
        p.add_argument("--width", type=int, choices=(58, 80), default=58)
        if action == "print":
            p.add_argument("--png", type=Path)
            p.add_argument("--pdf", type=Path)
            p.add_argument(
                "--printer", action="store_true", help="to the ESC/POS printer (printer set)"
            )

    receipts = sub.add_parser("receipts", help="this terminal's tickets of the day")
    receipts_sub = receipts.add_subparsers(required=True, metavar="ACTION")
    receipts_sub.add_parser(
        "today", help="today's receipts and provisional tickets, newest first"
    ).set_defaults(run=commands.receipts_today)
    p = sub.add_parser("reprint", help="print one of today's tickets again")
    p.set_defaults(run=commands.reprint)
    p.add_argument("number", help="its receipt number (R-…) or its provisional number (#12)")
    p.add_argument("--width", type=int, choices=(58, 80), default=58)

    outbox = sub.add_parser("outbox", help="queued writes")
    outbox_sub = outbox.add_subparsers(required=True, metavar="ACTION")
    outbox_sub.add_parser("list", help="what is queued and recently sent").set_defaults(
        run=commands.outbox_list
    )
    outbox_sub.add_parser("sync", help="send what is queued, in order").set_defaults(
        run=commands.outbox_sync
    )


def _drawer_and_printer_commands(sub: Any) -> None:
    group = sub.add_parser("drawer", help="close the cash drawer; the office's closes")
    actions = group.add_subparsers(required=True, metavar="ACTION")
    text = "count the cash by denomination, close the drawer and print the signed report"
    p = actions.add_parser("close", help=text, description=text)
    p.set_defaults(run=drawer.close)
    p.add_argument(
        "--count",
        action="append",
        metavar="VALUE=HOW_MANY",
        help="a note or coin in MAD and how many, e.g. 200=3 or 0,50=4 (repeat; "
        "without any, the counts are asked one by one)",
    )
    p.add_argument("--width", type=int, choices=(58, 80), default=58)
    p.add_argument("--yes", action="store_true", help="close without asking (scripts)")
    text = "the office's drawer closes of a day (supervisor)"
    p = actions.add_parser("list", help=text, description=text)
    p.set_defaults(run=drawer.closes)
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")

    group = sub.add_parser("printer", help="the ESC/POS receipt printer")
    actions = group.add_subparsers(required=True, metavar="ACTION")
    text = "set the printer: none, a device such as /dev/usb/lp0, or tcp://HOST:PORT"
    p = actions.add_parser("set", help=text, description=text)
    p.set_defaults(run=printer.set_printer)
    p.add_argument("setting")
    text = "print a test ticket"
    p = actions.add_parser("test", help=text, description=text)
    p.set_defaults(run=printer.test_printer)
    p.add_argument("--width", type=int, choices=(58, 80), default=58)


__all__ = ["Terminal", "main"]


if __name__ == "__main__":
    raise SystemExit(main())
