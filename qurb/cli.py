"""``qurb-api``: serve the API, migrate the database, and administer the registry.

Every command works against the database ``QURB_DATABASE_URL`` names. Passwords are read
from a prompt without echo (or from standard input when piped), never from the command line,
where ``ps`` and shell history would keep them.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Actor, Role
from agent_api.errors import QurbError
from agent_api.http.io import validation_error
from agent_api.http.schemas import admin as schemas
from agent_api.persistence.db import build_engine
from agent_api.secrets import new_ed25519_pem, new_symmetric_key_text, write_private_file
from agent_api.services.container import Services
from agent_api.services.registry.demo import seed_demo
from agent_api.settings import KEY_KINDS, Settings
from qurb import demo_day, migrate
from reconciliation.container import Reconciliation
from reconciliation.reports import write_reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except QurbError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"error: {exc.code}{where}: {exc.message}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qurb-api", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    sub.add_parser("migrate", help="apply the database migrations").set_defaults(run=_migrate)

    keys = sub.add_parser(
        "generate-keys", help="write a fresh set of production keys (mode 0600) into a folder"
    )
    keys.add_argument("directory", type=Path)
    keys.set_defaults(run=_generate_keys)

    seed = sub.add_parser("seed-demo", help="create the demo registry (on an empty database)")
    seed.add_argument("--json", type=Path, help="also write what was created to this file")
    seed.set_defaults(run=_seed_demo)

    history = sub.add_parser(
        "demo-day",
        help="record a day of demo counter activity, then close, settle and reconcile it",
    )
    history.add_argument("--date", type=date.fromisoformat, help="default: yesterday")
    history.add_argument("--out", type=Path, default=Path("demo-files"))
    history.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="where the demo will be served, for the commands it prints",
    )
    history.set_defaults(run=_demo_day)

    network = sub.add_parser("create-network", help="register a network")
    network.add_argument("--code", required=True)
    network.add_argument("--name", required=True)
    network.add_argument("--commission-fixed-centimes", type=int, default=0)
    network.add_argument("--commission-bps", type=int, default=0)
    network.add_argument("--settlement-account", required=True, help="24-digit RIB")
    network.set_defaults(run=_create_network)

    office = sub.add_parser("create-office", help="register an office of a network")
    office.add_argument("--code", required=True)
    office.add_argument("--network", required=True)
    office.add_argument("--name", required=True)
    office.add_argument("--city", required=True)
    office.add_argument("--region", required=True)
    office.set_defaults(run=_create_office)

    terminal = sub.add_parser("create-terminal", help="create a terminal; prints its code")
    terminal.add_argument("--office", required=True)
    terminal.add_argument("--label", required=True)
    terminal.set_defaults(run=_create_terminal)

    liaison = sub.add_parser(
        "import-liaison",
        help="load a liaison body's CSV of people CNSS expects to register (docs/enrollment.md)",
    )
    liaison.add_argument("file", type=Path)
    liaison.set_defaults(run=_import_liaison)

    user = sub.add_parser("create-user", help="create a user; the password is prompted for")
    user.add_argument("--username", required=True)
    user.add_argument("--full-name", required=True)
    user.add_argument("--role", required=True)
    user.add_argument("--office")
    user.add_argument("--network")
    user.set_defaults(run=_create_user)
    return parser


def _settings() -> Settings:
    return Settings.from_env()


@contextlib.contextmanager
def _services() -> Iterator[Services]:
    settings = _settings()
    engine = build_engine(settings.database_url, pool_size=2)
    try:
        yield Services.build(settings, engine)
    finally:
        engine.dispose()


def _validated(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """The command's arguments checked exactly as the HTTP API checks a JSON body."""
    try:
        return model.model_validate_json(json.dumps(data)).model_dump()
    except ValidationError as exc:
        raise validation_error(exc.errors(include_input=False)[0]) from None


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _serve(args: argparse.Namespace) -> int:
    _settings()  # fail fast on bad settings, and create the development keys only once
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics to files here; /metrics sums them all.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="qurb-metrics-")
    uvicorn.run(
        "qurb.asgi:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    settings = _settings()
    migrate.upgrade(settings.database_url)
    print("migrations applied")
    return 0


def _generate_keys(args: argparse.Namespace) -> int:
    for name, kind in KEY_KINDS.items():
        suffix = ".pem" if kind == "ed25519" else ""
        path = args.directory / f"{name.lower()}{suffix}"
        text = new_ed25519_pem() if kind == "ed25519" else new_symmetric_key_text()
        try:
            write_private_file(path, text)
        except FileExistsError:
            raise QurbError(
                f"{path} exists; keys are never overwritten", code="key_exists"
            ) from None
        print(f"QURB_{name}_FILE={path}")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    with _services() as services:
        demo = seed_demo(services.registry, services.terminals, services.users)
        if args.json is not None:
            fd = os.open(args.json, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(demo.as_json(), handle, indent=2, ensure_ascii=False)
        _print_demo_summary(demo.as_json(), args.json)
    return 0


# The demo reads its own report as CNSS finance would.
DEMO_READER = Actor(user_id=0, username="qurb-api-cli", role=Role.FINANCE)


def _demo_day(args: argparse.Namespace) -> int:
    with _services() as services:
        reconciliation = Reconciliation.build(services.settings, services.engine, services.clock)
        day = args.date or demo_day.yesterday(services.clock)
        done = demo_day.record_demo_day(services, reconciliation, day, args.out)
        report = reconciliation.reports.day(DEMO_READER, day)
        write_reports(report, args.out, f"reconciliation-{day:%Y%m%d}")
        database = services.settings.database_url
    print(
        f"Demo day {day.isoformat()}: {done.collections} collections, closed, settled and "
        f"reconciled (version {done.version}) with {done.exceptions} exceptions for finance."
    )
    print(f"  the files CNSS and the bank sent, and the ground truth: {args.out}/inbox/")
    filed = done.deposits
    print(
        f"  {len(filed.deposits)} reimbursement files deposited ({len(filed.insisted)} taken "
        f"despite the counter's warnings), sent under {len(filed.slips)} transmittal slips; "
        f"{len(filed.cancelled)} more taken today and cancelled by a supervisor"
    )
    print(
        f"  CNSS's tracking file ({args.out}/claims/): {len(filed.reimbursed)} reimbursed, "
        f"{len(filed.refused)} refused, {len(filed.missing)} envelope(s) missing from their "
        "batch, first in finance's exceptions queue"
    )
    if filed.worker_with_a_refusal is not None:
        print(
            f"  a worker's files and their journey, at the counter: "
            f"{filed.worker_with_a_refusal} (one of them refused)"
        )
    print(f"  the day's report: {args.out}/reconciliation-{day:%Y%m%d}.html (also .csv, .json)")
    audit = _sibling_command("qurb-audit")
    print("  the audit log, from another shell while the demo is served:")
    print(f"    {audit} export --database-url {_shown_url(database)} --output log.json")
    key = f"{args.url.rstrip('/')}/v1/audit/key"
    print(f'    {audit} verify log.json --key "$(curl -s {key})"')
    return 0


def _sibling_command(name: str) -> str:
    """``name`` as installed beside this interpreter (the virtual environment's bin), by its
    full path: another shell has not activated that environment."""
    installed = Path(sys.executable).parent / name
    return shlex.quote(str(installed)) if installed.exists() else name


def _shown_url(url: str) -> str:
    """A database URL to print: relative SQLite paths made absolute (the command may be run
    from anywhere), a password never shown, quoted for the shell."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return shlex.quote(parsed.render_as_string(hide_password=True))


def _print_demo_summary(demo: dict[str, list[dict[str, Any]]], path: Path | None) -> None:
    users = {u["username"]: u for u in demo["users"]}
    print(
        f"Demo registry: {len(demo['networks'])} networks, {len(demo['offices'])} offices, "
        f"{len(demo['terminals'])} terminals waiting for activation, {len(demo['users'])} users."
    )
    print("\nBack-office sign-in (POST /v1/admin/sessions with username and password):")
    for name in ("cnss.admin", "cnss.finance", "cnss.auditor", "admin.cashplus"):
        u = users[name]
        print(f"  {u['role']:<14} {name:<18} {u['password']}")
    first = demo["terminals"][0]
    print(
        f"\nFirst terminal: id {first['id']} at office {first['office']}, "
        f"activation code {first['activation_code']}"
    )
    op, sup = users[f"op.{first['office'].lower()}"], users[f"sup.{first['office'].lower()}"]
    print(f"  its operator   {op['username']:<18} {op['password']}")
    print(f"  its supervisor {sup['username']:<18} {sup['password']}")
    if path is not None:
        print(f"\nEvery account, office and activation code: {path}")


def _create_network(args: argparse.Namespace) -> int:
    with _services() as services:
        fields = _validated(
            schemas.NetworkIn,
            {
                "code": args.code,
                "name": args.name,
                "commission_fixed_centimes": args.commission_fixed_centimes,
                "commission_bps": args.commission_bps,
                "settlement_account": args.settlement_account,
            },
        )
        view = services.registry.create_network(SYSTEM_ACTOR, **fields)
        _print(schemas.NetworkOut.model_validate(view).model_dump(mode="json"))
    return 0


def _create_office(args: argparse.Namespace) -> int:
    with _services() as services:
        fields = _validated(
            schemas.OfficeIn,
            {
                "code": args.code,
                "network": args.network,
                "name": args.name,
                "city": args.city,
                "region": args.region,
            },
        )
        view = services.registry.create_office(SYSTEM_ACTOR, **fields)
        _print(schemas.OfficeOut.model_validate(view).model_dump(mode="json"))
    return 0


def _create_terminal(args: argparse.Namespace) -> int:
    with _services() as services:
        fields = _validated(schemas.TerminalIn, {"office": args.office, "label": args.label})
        created = services.terminals.create(SYSTEM_ACTOR, **fields)
        _print(schemas.TerminalCreated.model_validate(created).model_dump(mode="json"))
    return 0


def _import_liaison(args: argparse.Namespace) -> int:
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        raise QurbError(
            f"cannot read {args.file}: {exc.strerror}", code="file_unreadable"
        ) from None
    with _services() as services:
        report = services.liaison.import_csv(content)
    for error in report.errors:
        print(f"line {error.line}: {error.field}: {error.message}", file=sys.stderr)
    print(
        f"{report.loaded} loaded, {report.already_listed} already listed, "
        f"{report.already_enrolled} already enrolled, {len(report.errors)} refused"
    )
    return 1 if report.errors else 0


def _read_password(prompt: Callable[[str], str] = getpass.getpass) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = prompt("Password: ")
    if prompt("Password again: ") != first:
        raise QurbError("the two passwords differ", code="password_mismatch")
    return first


def _create_user(args: argparse.Namespace) -> int:
    with _services() as services:
        fields = _validated(
            schemas.UserIn,
            {
                "username": args.username,
                "full_name": args.full_name,
                "role": args.role,
                "password": _read_password(),
                "office": args.office,
                "network": args.network,
            },
        )
        view = services.users.create(SYSTEM_ACTOR, **fields)
        _print(schemas.UserOut.model_validate(view).model_dump(mode="json"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
