"""``qurb-reconcile``: the daily reconciliation run, each step also runnable alone.

  close        close business day D per network (OPEN → CLOSED)
  settle       settle D per network and office, sign the statements
  import       import CNSS ledger files and bank statements (camt.053 or CSV)
  tracking     apply CNSS claims tracking files to the deposits; print the exceptions queue
  match        match D against the ledger and the bank; record a version and its exceptions
  report       print or write D's report (JSON, CSV or HTML), per network or for the day
  statement    print a network's signed settlement statement (JSON or HTML)
  run          all of the above for D, reading new files from an inbox directory (ledger
               files, statements and tracking files), and the slips CNSS never acknowledged
  daemon       run every day at a set local time for the previous day
  simulate     write the ledger files and the camt.053 CNSS and the bank would send for D,
               with injected discrepancies and a ground-truth file; with --claims, the
               claims tracking files CNSS would send about D's deposits over the days after

D defaults to yesterday in Africa/Casablanca. Exit codes: 0 done, 1 done with exceptions to
work (``match``/``run``), 2 refused (bad input, nothing recorded; for ``run``, a file of the
inbox was refused and set aside, whatever else the run did). Errors print
``error: <code> (<field>): <message>``, as every Qurb command line does.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time as time_module
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from agent_api.clock import CASABLANCA, utc_now
from agent_api.domain.roles import Actor, Role
from agent_api.errors import QurbError, ValidationFailed
from agent_api.persistence.db import build_engine
from agent_api.settings import Settings
from reconciliation.claims_simulator_files import write_claims_simulation
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import parse_tracking_name
from reconciliation.report_html import statement_html
from reconciliation.report_labels import DEFAULT_LANGUAGE, LANGUAGES
from reconciliation.reports import FORMATS, render, write_reports
from reconciliation.simulator_files import write_simulation

logger = logging.getLogger(__name__)

# The identity the command line acts as for reading reports: it already holds the database.
RECONCILE_ACTOR = Actor(user_id=0, username="qurb-reconcile", role=Role.FINANCE)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except QurbError as exc:
        print(error_line(exc), file=sys.stderr)
        return REFUSED
    return result


# Exit codes (docs/reconciliation.md).
DONE, EXCEPTIONS_TO_WORK, REFUSED = 0, 1, 2


def error_line(exc: QurbError, *, about: str = "") -> str:
    """``error: <code> (<field>): <message>``, the line every Qurb command line prints;
    ``about`` names what failed (a file of the inbox, a day of the daemon)."""
    where = f" ({exc.field})" if exc.field else ""
    prefix = f"{about}: " if about else ""
    return f"error: {exc.code}{where}: {prefix}{exc.message}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qurb-reconcile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(required=True, metavar="STEP")

    def step(name: str, run: Callable[[argparse.Namespace], int], text: str) -> Any:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(run=run)
        return p

    def dated(p: Any) -> None:
        p.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")

    close = step("close", _close, "close business day D per network")
    dated(close)
    close.add_argument("--network", action="append", help="a network code (default: all)")
    settle = step("settle", _settle, "settle business day D per network and office")
    dated(settle)
    settle.add_argument("--network", action="append", help="a network code (default: all)")
    imp = step("import", _import, "import CNSS ledger files and bank statements")
    imp.add_argument("--ledger", type=Path, action="append", default=[], help="a ledger CSV")
    imp.add_argument("--bank", type=Path, action="append", default=[], help="camt.053 or CSV")
    tracking = step("tracking", _tracking, "apply CNSS claims tracking files to the deposits")
    tracking.add_argument("files", type=Path, nargs="*", help="CNSS_SUIVI_DOSSIERS_*.csv")
    match = step("match", _match, "match D against the ledger and the bank")
    dated(match)
    report = step("report", _report, "print or write D's reconciliation report")
    dated(report)
    report.add_argument("--network", help="one network (default: the whole day)")
    report.add_argument("--version", type=int, help="a version (default: the current one)")
    report.add_argument("--format", choices=FORMATS, default="json")
    report.add_argument("--output", type=Path, help="a file (default: standard output)")
    _lang_option(report)
    statement = step("statement", _statement, "print a network's settlement statement")
    dated(statement)
    statement.add_argument("--network", required=True)
    statement.add_argument("--format", choices=("json", "html", "jws"), default="json")
    _lang_option(statement)
    run = step("run", _run, "close, settle, import the inbox, match and report D")
    dated(run)
    _inbox_options(run)
    daemon = step("daemon", _daemon, "run every day at --at (local time) for the day before")
    daemon.add_argument("--at", type=time.fromisoformat, default=time(2, 0), help="HH:MM")
    daemon.add_argument(
        "--max-runs", type=int, default=None, help="stop after this many runs (default: never)"
    )
    daemon.add_argument("--heartbeat", type=Path, help="a file touched while the daemon lives")
    _inbox_options(daemon)
    simulate = step("simulate", _simulate, "write the files CNSS and the bank would send for D")
    dated(simulate)
    simulate.add_argument("--out", type=Path, required=True, help="the directory to write to")
    simulate.add_argument("--rates", default="demo", help='"demo", "none" or kind=rate,...')
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--camt-version", choices=("02", "04", "08"), default="08")
    simulate.add_argument(
        "--claims",
        action="store_true",
        help="the claims tracking files about D's deposits instead (faults: "
        'docs/deposits.md, "The simulator\'s claims mode")',
    )
    simulate.add_argument(
        "--days",
        type=int,
        help="with --claims: how many daily files, D+1 onwards (default: "
        "QURB_TRANSMITTAL_ACK_DAYS + 1)",
    )
    return parser


def _inbox_options(p: Any) -> None:
    p.add_argument("--inbox", type=Path, help="new ledger files and statements are read here")
    p.add_argument("--reports", type=Path, help="the day's reports are written here")
    _lang_option(p)


def _lang_option(p: Any) -> None:
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="the language of the HTML pages: fr (default) or ar",
    )


def yesterday() -> date:
    return utc_now().astimezone(CASABLANCA).date() - timedelta(days=1)


def _services() -> tuple[Reconciliation, Callable[[], None]]:
    settings = Settings.from_env()
    engine = build_engine(settings.database_url, pool_size=2)
    return Reconciliation.build(settings, engine), engine.dispose


def _with_services(body: Callable[[Reconciliation], int]) -> int:
    services, dispose = _services()
    try:
        return body(services)
    finally:
        dispose()


def _close(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        _print_closed(r, args.date or yesterday(), args.network)
        return 0

    return _with_services(body)


def _print_closed(r: Reconciliation, day: date, networks: Sequence[str] | None) -> None:
    for closed in r.closer.close(day, networks=networks, by="qurb-reconcile"):
        state = "closed" if closed.closed_now else "already closed"
        print(
            f"{closed.network:<12} {closed.business_date.isoformat()}  {state:<15}"
            f" {closed.collections:>7} collections  {closed.gross_centimes:>14} centimes"
        )


def _settle(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        _print_settled(r, args.date or yesterday(), args.network)
        return 0

    return _with_services(body)


def _print_settled(r: Reconciliation, day: date, networks: Sequence[str] | None) -> None:
    for s in r.settler.settle(day, networks=networks, by="qurb-reconcile"):
        state = "settled" if s.created_now else "already settled"
        print(
            f"{s.reference:<32} {state:<16} {s.collections:>7} collections"
            f"  gross {s.gross_centimes:>12}  commission {s.commission_centimes:>9}"
            f"  net {s.net_centimes:>12} centimes"
        )


def _import(args: argparse.Namespace) -> int:
    if not args.ledger and not args.bank:
        raise ValidationFailed("name at least one --ledger or --bank file", field="--ledger")

    def body(r: Reconciliation) -> int:
        _import_files(r, args.ledger, args.bank)
        return 0

    return _with_services(body)


def _import_files(r: Reconciliation, ledgers: Sequence[Path], banks: Sequence[Path]) -> None:
    for path in ledgers:
        done = r.inputs.import_ledger(path.read_bytes(), name=path.name, by="qurb-reconcile")
        state = "imported" if done.imported_now else "already imported"
        print(
            f"ledger {done.name}: {state}, {done.scope} {done.first_date.isoformat()},"
            f" {done.lines} entries, total {done.total_centimes} centimes"
        )
    for path in banks:
        done = r.inputs.import_bank(path.read_bytes(), name=path.name, by="qurb-reconcile")
        state = "imported" if done.imported_now else "already imported"
        print(
            f"bank {done.name}: {state}, statement {done.scope},"
            f" {done.lines} transactions, net {done.total_centimes} centimes"
        )


def _tracking(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        for path in args.files:
            _apply_tracking(r, path)
        queue = r.claims.queue()
        for exception in queue:
            print(f"  [{exception.priority}] {exception.kind:<20} {exception.detail}")
        return EXCEPTIONS_TO_WORK if queue else DONE

    return _with_services(body)


def _apply_tracking(r: Reconciliation, path: Path) -> None:
    done = r.claims.apply(path.read_bytes(), source=path.name)
    if done.already_applied:
        print(f"tracking {path.name}: already applied")
        return
    print(
        f"tracking {path.name}: {done.events} events, {done.new_events} new, "
        f"{done.repeated_events} sent before; {len(done.opened)} exceptions opened, "
        f"{len(done.cleared)} cleared"
    )


def _match(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        return _print_run(r, args.date or yesterday())

    return _with_services(body)


def _print_run(r: Reconciliation, day: date) -> int:
    run = r.reconciler.run(day, by="qurb-reconcile")
    state = "recorded" if run.created_now else "unchanged inputs: same result as"
    print(f"{day.isoformat()}: {state} version {run.version}")
    for network, f in sorted(run.summary.items()):
        kinds = ", ".join(f"{k} {v['count']}" for k, v in sorted(f["outcomes"].items()))
        print(f"  {network:<12} hub {f['hub_lines']} lines {f['hub_centimes']} centimes; {kinds}")
    print(f"  {run.matched} matched, {run.exceptions} exceptions")
    return EXCEPTIONS_TO_WORK if run.exceptions else DONE


def _report(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        report = r.reports.day(
            RECONCILE_ACTOR, args.date or yesterday(), network=args.network, version=args.version
        )
        text, _ = render(report, args.format, args.lang)
        _emit(text, args.output)
        return 0

    return _with_services(body)


def _statement(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        [s] = r.settler.settle(
            args.date or yesterday(), networks=[args.network], by="qurb-reconcile"
        )
        if args.format == "jws":
            print(s.statement_jws)
        elif args.format == "html":
            print(statement_html(s.statement, s.statement_jws, args.lang), end="")
        else:
            print(json.dumps({"statement": s.statement, "jws": s.statement_jws}, indent=2))
        return 0

    return _with_services(body)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def daily_run(
    r: Reconciliation,
    day: date,
    *,
    inbox: Path | None,
    reports: Path | None,
    lang: str = DEFAULT_LANGUAGE,
) -> int:
    """Close, settle, import what arrived, match, report: the whole of D, each step
    idempotent so that the run can be repeated after any failure. A refused file of the inbox
    does not stop the day (it is set aside), but the run exits ``REFUSED`` so that the
    operator learns that a file must be sent again."""
    _print_closed(r, day, None)
    _print_settled(r, day, None)
    refused = _import_inbox(r, inbox) if inbox is not None else 0
    opened, _ = r.claims.check_slips()
    if opened:
        print(f"  {len(opened)} transmittal slips never acknowledged by CNSS: tracking exceptions")
    status = _print_run(r, day)
    if reports is not None:
        report = r.reports.day(RECONCILE_ACTOR, day)
        stem = f"reconciliation-{day:%Y%m%d}-v{report['version']}"
        for path in write_reports(report, reports, stem, lang):
            print(f"  report {path}")
    return REFUSED if refused else status


def _import_inbox(r: Reconciliation, inbox: Path) -> int:
    """Every file in the inbox is imported, then moved to ``done/`` (or ``refused/`` with a
    ``.error`` note beside it): a file is never read twice nor silently skipped. Returns how
    many were refused."""
    done, refused = inbox / "done", inbox / "refused"
    count = 0
    for path in sorted(p for p in inbox.iterdir() if p.is_file()):
        try:
            if path.name.upper().startswith("CNSS_ENCAISSEMENTS_"):
                _import_files(r, [path], [])
            elif parse_tracking_name(path.name) is not None:
                _apply_tracking(r, path)
            else:
                _import_files(r, [], [path])
        except QurbError as exc:
            # The readers name the file in their message; a refusal that does not is named here.
            line = error_line(exc, about="" if path.name in exc.message else path.name)
            refused.mkdir(exist_ok=True)
            path.rename(refused / path.name)
            (refused / f"{path.name}.error").write_text(f"{line}\n", encoding="utf-8")
            print(line, file=sys.stderr)
            count += 1
            continue
        done.mkdir(exist_ok=True)
        path.rename(done / path.name)
    return count


def _daily(
    r: Reconciliation, *, day: date, inbox: Path | None, reports: Path | None, lang: str
) -> int:
    return daily_run(r, day, inbox=inbox, reports=reports, lang=lang)


def _run(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        return daily_run(
            r, args.date or yesterday(), inbox=args.inbox, reports=args.reports, lang=args.lang
        )

    return _with_services(body)


def next_run(now: datetime, at: time) -> datetime:
    """The next instant, after ``now``, at which the local (Casablanca) clock reads ``at``."""
    local = now.astimezone(CASABLANCA)
    candidate = datetime.combine(local.date(), at, tzinfo=CASABLANCA)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=CASABLANCA)
    return candidate


def _daemon(args: argparse.Namespace) -> int:
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    runs = 0
    print(f"qurb-reconcile daemon: every day at {args.at:%H:%M} Africa/Casablanca", flush=True)
    while not stopping and (args.max_runs is None or runs < args.max_runs):
        due = next_run(utc_now(), args.at)
        print(f"next run at {due.isoformat()}", flush=True)
        while not stopping and utc_now() < due:
            _beat(args.heartbeat)
            time_module.sleep(min(30.0, max(0.05, (due - utc_now()).total_seconds())))
        if stopping:
            break
        day = due.date() - timedelta(days=1)
        try:
            _with_services(
                partial(_daily, day=day, inbox=args.inbox, reports=args.reports, lang=args.lang)
            )
        except QurbError as exc:
            # A failed day is reported and retried at the next run (every step is idempotent);
            # the daemon itself keeps going.
            failed = error_line(exc, about=f"the run of {day.isoformat()} failed")
            print(failed, file=sys.stderr, flush=True)
        runs += 1
    return 0


def _beat(path: Path | None) -> None:
    if path is not None:
        path.touch()


def _simulate(args: argparse.Namespace) -> int:
    if args.claims:
        return _simulate_claims(args)

    def body(r: Reconciliation) -> int:
        written = write_simulation(
            r,
            args.date or yesterday(),
            args.out,
            rates=args.rates,
            seed=args.seed,
            camt_version=args.camt_version,
        )
        for path in written:
            print(path)
        return 0

    return _with_services(body)


def _simulate_claims(args: argparse.Namespace) -> int:
    def body(r: Reconciliation) -> int:
        written = write_claims_simulation(
            r.inputs.unit_of_work,
            args.date or yesterday(),
            args.out,
            rates=args.rates,
            seed=args.seed,
            ack_days=Settings.from_env().transmittal_ack_days,
            days=args.days,
        )
        for path in written:
            print(path)
        return DONE

    return _with_services(body)


if __name__ == "__main__":
    raise SystemExit(main())
