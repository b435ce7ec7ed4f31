"""What each ``qurb-terminal`` command does. Output goes to the context's streams, labels
through the operator's language; refusals are raised and turned into sentences by the CLI."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw, rotation_proof_message
from terminal_client.api import Outcome, ServiceError, Terminal
from terminal_client.home import Home, HomeError
from terminal_client.i18n import N_, translator
from terminal_client.messages import explain
from terminal_client.money import format_mad, parse_mad
from terminal_client.printing import qr_png, qr_text, ticket_pdf
from terminal_client.prompts import passphrase_from_environment, read_secret
from terminal_client.receipts import decode_unverified
from terminal_client.receipts import verify_receipt as verify_jws
from terminal_client.ticket import render_ticket

CASABLANCA = ZoneInfo("Africa/Casablanca")  # business dates are Moroccan


class BadInput(Exception):
    """What the operator typed cannot be sent."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Context:
    home: Home
    lang: str
    out: TextIO
    err: TextIO
    read_secret: Callable[[str], str] | None = None
    ask: Callable[[str], str] = input
    _terminal: Terminal | None = field(default=None, repr=False)

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
                    or (self.read_secret or read_secret)("Passphrase: ").encode()
                )
            self._terminal = Terminal(self.home, passphrase=passphrase)
        return self._terminal

    def close(self) -> None:
        if self._terminal is not None:
            self._terminal.close()

    def secret(self, prompt: str) -> str:
        return (self.read_secret or read_secret)(prompt)


def _need_activation(ctx: Context) -> Terminal:
    if "terminal_id" not in ctx.home.config():
        raise HomeError("not_activated", "this terminal is not activated yet")
    return ctx.terminal()


def _need_session(ctx: Context) -> Terminal:
    terminal = _need_activation(ctx)
    if ctx.home.session() is None:
        raise HomeError("not_logged_in", "no operator is signed in on this terminal")
    _sync_first(ctx, terminal)
    return terminal


def _sync_first(ctx: Context, terminal: Terminal) -> None:
    """Every command first sends what is queued, and prints the final receipts."""
    if not terminal.outbox.pending():
        return
    for outcome in terminal.sync():
        _report_synced(ctx, outcome)


def _report_synced(ctx: Context, outcome: Outcome) -> None:
    if outcome.state == "done":
        ctx.say(f"✔ #{outcome.seq} {outcome.label}")
        _print_receipt_of(ctx, outcome.body)
    elif outcome.state == "refused":
        error = outcome.error()
        ctx.say(f"✘ #{outcome.seq} {outcome.label}: {error.code} — {error.message}")
    else:
        queued = ctx._("Queued: will be sent when the network is back")
        ctx.say(f"… #{outcome.seq} {outcome.label}: {queued}")


def _done(outcome: Outcome) -> Any:
    if outcome.state == "refused":
        raise outcome.error()
    return outcome.body


def _print_receipt_of(ctx: Context, body: Any, width: int = 58) -> None:
    receipt = body.get("receipt") if isinstance(body, dict) else None
    if isinstance(receipt, dict) and "receipt" in receipt:
        claims = decode_unverified(str(receipt["receipt"]))
        ctx.say(render_ticket(claims, width=width, lang=ctx.lang))  # type: ignore[arg-type]
        ctx.say(qr_text(str(receipt["receipt"])))


# -- set-up -------------------------------------------------------------------------------


def init(ctx: Context, args: argparse.Namespace) -> int:
    passphrase = None
    if args.encrypt:
        passphrase = passphrase_from_environment()
        if passphrase is None:
            first = ctx.secret("Passphrase: ")
            if ctx.secret("Passphrase again: ") != first or len(first) < 8:
                raise BadInput("the passphrases differ or are shorter than 8 characters")
            passphrase = first.encode()
    kid = ctx.home.initialize(args.server, passphrase=passphrase, lang=args.language)
    ctx.home.update_config(encrypted=passphrase is not None)
    ctx.say(f"keyid {kid}")
    ctx.say(str(ctx.home.path))
    return 0


def activate(ctx: Context, args: argparse.Namespace) -> int:
    terminal = ctx.terminal()
    body = {
        "activation_code": args.code,
        "public_key": b64url_encode(public_key_raw(terminal.key)),
    }
    outcome = terminal.write(
        "POST",
        "/v1/terminals/activate",
        body,
        label="activation",
        authenticated=False,
        queue_offline=False,
    )
    done = _done(outcome)
    ctx.home.save_server_keys(done["server_keys"])
    ctx.home.update_config(
        terminal_id=done["terminal_id"],
        keyid=done["keyid"],
        office=done["office"],
        network=done["network"],
    )
    ctx.say(f"{done['office']['code']} — {done['office']['name']} ({done['network']['name']})")
    ctx.say(f"{ctx._('Terminal')} {done['terminal_id']}")
    return 0


def rotate_key(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    config = ctx.home.config()
    new_key = Ed25519PrivateKey.generate()
    new_raw = public_key_raw(new_key)
    proof = new_key.sign(
        rotation_proof_message(int(config["terminal_id"]), terminal.keyid, keyid(new_raw))
    )
    outcome = terminal.write(
        "POST",
        "/v1/terminals/current/keys",
        {"public_key": b64url_encode(new_raw), "proof": b64url_encode(proof)},
        label="key rotation",
        queue_offline=False,
    )
    done = _done(outcome)
    ctx.home.replace_key(new_key, terminal._passphrase)
    terminal.use_key(new_key)
    ctx.home.update_config(keyid=done["keyid"])
    # The service ended the sessions bound to the old key.
    ctx.home.save_session(None)
    ctx.say(f"keyid {done['keyid']}")
    return 0


def status(ctx: Context, args: argparse.Namespace) -> int:
    config = ctx.home.config()
    terminal = ctx.terminal()
    reachable = terminal.healthy()
    ctx.say(f"server   {config['server']} ({'online' if reachable else 'OFFLINE'})")
    ctx.say(f"terminal {config.get('terminal_id', '-')}  keyid {terminal.keyid}")
    office = config.get("office") or {}
    ctx.say(f"office   {office.get('code', '-')} {office.get('name', '')}")
    session = ctx.home.session()
    ctx.say(f"operator {session['username'] if session else '-'}")
    ctx.say(f"{ctx._('queued writes')}: {len(terminal.outbox.pending())}")
    return 0


# -- sessions -----------------------------------------------------------------------------


def login(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_activation(ctx)
    username = args.username or ctx.ask("Username: ").strip()
    password = ctx.secret(f"{ctx._('Password')}: ")
    outcome = terminal.write(
        "POST",
        "/v1/sessions",
        {"username": username, "password": password},
        label=f"sign-in {username}",
        authenticated=False,
        queue_offline=False,
    )
    done = _done(outcome)
    ctx.home.save_session(
        {k: done[k] for k in ("token", "expires_at", "username", "full_name", "role", "office")}
    )
    ctx.say(f"{done['full_name']} ({done['role']}) — {done['office']}")
    _sync_first(ctx, terminal)
    return 0


def logout(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    terminal.write("DELETE", "/v1/sessions/current", None, label="sign-out")
    ctx.home.save_session(None)
    return 0


# -- workers ------------------------------------------------------------------------------

ENROLL_FIELDS: list[tuple[str, str, Callable[[str], str | None]]] = [
    ("cin", "CIN", lambda v: None if re.fullmatch(r"[A-Za-z]{1,2} ?[0-9]{3,6}", v) else "CIN"),
    ("last_name", "Last name", lambda v: None if v.strip() else "Last name"),
    ("first_name", "First name", lambda v: None if v.strip() else "First name"),
    (
        "birth_date",
        "Date of birth (YYYY-MM-DD)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else "YYYY-MM-DD",
    ),
    ("sex", "Sex (F/M)", lambda v: None if v.upper() in ("F", "M") else "F/M"),
    (
        "phone",
        "Phone",
        lambda v: None if re.sub(r"[\s.-]", "", v).lstrip("+").isdigit() else "Phone",
    ),
    ("address", "Address", lambda v: None if v.strip() else "Address"),
    ("city", "City", lambda v: None if v.strip() else "City"),
    ("category", "Category", lambda v: None if v.strip() else "Category"),
    ("bracket", "Bracket", lambda v: None if v.strip() else "Bracket"),
    ("document_number", "Professional document number", lambda v: None),
    (
        "coverage_start",
        "Coverage starts (YYYY-MM)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}", v) else "YYYY-MM",
    ),
]


def _prompt(ctx: Context, label: str, check: Callable[[str], str | None]) -> str:
    """Ask until the answer has the right shape: the operator sees a mistake at once."""
    for _ in range(10):
        answer = ctx.ask(f"{ctx._(label)}: ").strip()
        problem = check(answer)
        if problem is None:
            return answer
        ctx.say(f"  ✘ {ctx._(problem)}")
    raise BadInput(f"{label}: too many invalid answers")


# What an operator may type, in French, Arabic or English.
RELATIONS: dict[str, str] = {
    "spouse": "spouse",
    "conjoint": "spouse",
    "époux": "spouse",
    "épouse": "spouse",
    "زوج": "spouse",
    "زوجة": "spouse",
    "child": "child",
    "enfant": "child",
    "ابن": "child",
    "ابنة": "child",
}
YES = ("y", "yes", "o", "oui", "ن", "نعم")


DEPENDENT_FIELDS: list[tuple[str, str, Callable[[str], str | None]]] = [
    (
        "relation",
        N_("Relation (spouse/child)"),
        lambda v: None if v.strip().lower() in RELATIONS else N_("Relation (spouse/child)"),
    ),
    (
        "cin",
        N_("CIN (empty for a young child)"),
        lambda v: None if not v or re.fullmatch(r"[A-Za-z]{1,2} ?[0-9]{3,6}", v) else "CIN",
    ),
    ("last_name", "Last name", lambda v: None if v.strip() else "Last name"),
    ("first_name", "First name", lambda v: None if v.strip() else "First name"),
    (
        "birth_date",
        "Date of birth (YYYY-MM-DD)",
        lambda v: None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else "YYYY-MM-DD",
    ),
    ("sex", "Sex (F/M)", lambda v: None if v.upper() in ("F", "M") else "F/M"),
]


def _ask_dependents(ctx: Context) -> list[dict[str, Any]]:
    """Spouses and children, one after the other, until the operator answers no."""
    dependents: list[dict[str, Any]] = []
    while ctx.ask(f"{ctx._('Add a dependent? (y/n)')}: ").strip().lower() in YES:
        dependent: dict[str, Any] = {}
        for name, label, check in DEPENDENT_FIELDS:
            value = _normalize(name, _prompt(ctx, label, check))
            if value is not None:
                dependent[name] = RELATIONS[value.strip().lower()] if name == "relation" else value
        if dependent.get("relation") == "child":
            student = ctx.ask(f"{ctx._('Student? (y/n)')}: ").strip().lower()
            dependent["student"] = student in YES
        dependents.append(dependent)
    return dependents


def _normalize(name: str, value: str) -> str | None:
    if name == "sex":
        return value.upper()
    if name in ("category", "bracket", "cin"):
        return value.upper().replace(" ", "") or None
    return value or None


def enroll(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    if args.from_json:
        try:
            payload = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(f"{args.from_json}: not a readable JSON file ({exc})") from None
        return _submit_enrollment(ctx, terminal, payload, interactive=False)
    answers: dict[str, Any] = {}
    for name, label, check in ENROLL_FIELDS:
        value = _normalize(name, _prompt(ctx, label, check))
        if value is not None:
            answers[name] = value
    answers["dependents"] = _ask_dependents(ctx)
    return _submit_enrollment(ctx, terminal, answers, interactive=True)


def _submit_enrollment(
    ctx: Context, terminal: Terminal, payload: dict[str, Any], *, interactive: bool
) -> int:
    labels = {name: (label, check) for name, label, check in ENROLL_FIELDS}
    for _ in range(5):
        outcome = terminal.write("POST", "/v1/workers", payload, label="enrollment")
        if outcome.state == "queued":
            ctx.say(ctx._("Queued: will be sent when the network is back"))
            return 6
        if outcome.state == "done":
            ctx.say(f"{ctx._('Registration number')}: {outcome.body['registration_number']}")
            _print_receipt_of(ctx, outcome.body)
            return 0
        error = outcome.error()
        field_name = error.field
        if not interactive or field_name not in labels:
            raise error
        # The service named the field at fault: ask for that one again, keep the rest.
        ctx.say(
            "  ✘ " + explain(error.code, ctx.lang, server_message=error.message, field=field_name)
        )
        label, check = labels[field_name]
        value = _normalize(field_name, _prompt(ctx, label, check))
        payload[field_name] = value
    raise BadInput("the enrollment was refused too many times")


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a readable JSON file ({exc})") from None
    return loaded if isinstance(loaded, list) else [loaded]


def find(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    if args.cin:
        cin = _prompt(ctx, "CIN", ENROLL_FIELDS[0][2]).upper().replace(" ", "")
        outcome = terminal.write(
            "POST", "/v1/workers/lookup", {"cin": cin}, label="lookup", queue_offline=False
        )
        found = _done(outcome)
        worker = found.get("worker") or found.get("pre_registration")
        ctx.say(f"{found['status']}")
    elif args.registration_number:
        worker = terminal.get(f"/v1/workers/{args.registration_number}")
    else:
        raise BadInput("give a registration number or --cin")
    _print_worker(ctx, worker)
    return 0


def _print_worker(ctx: Context, worker: dict[str, Any]) -> None:
    for key in (
        "registration_number",
        "cin_masked",
        "last_name",
        "first_name",
        "birth_date",
        "phone",
        "city",
        "category",
        "bracket",
        "status",
        "missing",
    ):
        if worker.get(key) not in (None, ""):
            ctx.say(f"{key:<20} {worker[key]}")
    for dependent in worker.get("dependents") or []:
        masked = dependent.get("cin_masked") or ""
        ctx.say(
            f"  #{dependent['id']} {dependent['relation']:<7} {dependent['first_name']} "
            f"{dependent['last_name']} {dependent['birth_date']} {masked}"
        )
    dues = worker.get("dues")
    if isinstance(dues, dict):
        ctx.say(f"{'dues':<20} {dues['months']} × → {format_mad(dues['due_centimes'])}")


def amend(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    change = {
        key: value
        for key, value in (
            ("phone", args.phone),
            ("address", args.address),
            ("city", args.city),
            ("category", args.category),
            ("bracket", args.bracket),
            ("document_number", args.document),
        )
        if value is not None
    }
    if args.add_dependent:
        change["add_dependents"] = (
            _ask_dependents(ctx)
            if args.add_dependent == "-"
            else (_read_json_list(Path(args.add_dependent)))
        )
    if args.remove_dependent:
        change["remove_dependents"] = args.remove_dependent
    if not change:
        raise BadInput(
            "nothing to change: give --phone, --address, --city, --category, "
            "--add-dependent or --remove-dependent"
        )
    outcome = terminal.write(
        "PATCH", f"/v1/workers/{args.registration_number}", change, label="amendment"
    )
    if outcome.state == "queued":
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    _print_worker(ctx, _done(outcome))
    return 0


# -- money --------------------------------------------------------------------------------


def quote(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    path = f"/v1/workers/{args.registration_number}/quote"
    if args.through:
        path += f"?through={args.through}"
    found = terminal.get(path)
    ctx.say(
        f"{ctx._('Month'):<8} {ctx._('Due'):>14} {ctx._('Paid'):>14} {ctx._('Outstanding'):>14}"
    )
    for line in found["lines"]:
        due = line["due_centimes"] + line["surcharge_centimes"]
        ctx.say(
            f"{line['month'][:7]:<8} {format_mad(due):>14} {format_mad(line['paid_centimes']):>14}"
            f" {format_mad(line['outstanding_centimes']):>14}"
        )
    ctx.say(f"{ctx._('Total due')}: {format_mad(found['total_centimes'])}")
    return 0


def _amount(text: str) -> int:
    try:
        return parse_mad(text)
    except ValueError as exc:
        raise BadInput(str(exc), "amount") from None


def pay(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    amount = _amount(args.amount)
    body: dict[str, Any] = {
        "registration_number": args.registration_number,
        "amount_centimes": amount,
    }
    if args.payer_phone:
        body["payer_phone"] = args.payer_phone
    label = f"pay {args.registration_number} {format_mad(amount)}"
    outcome = terminal.write("POST", "/v1/contributions", body, label=label)
    if outcome.state == "queued":
        config = ctx.home.config()
        session = ctx.home.session() or {}
        provisional = {
            "kind": "collection",
            "receipt_number": f"#{outcome.seq}",
            "registration_number": args.registration_number,
            "amount_centimes": amount,
            "months": [],
            "office": (config.get("office") or {}).get("code"),
            "terminal": config.get("terminal_id"),
            "operator": session.get("username"),
            "signed_at": datetime.now(UTC).isoformat(),
        }
        ctx.say(render_ticket(provisional, width=args.width, lang=ctx.lang, provisional=True))
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    _print_receipt_of(ctx, _done(outcome), args.width)
    return 0


def declare_day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    days = []
    for item in args.days:
        day, _, earnings = item.partition("=")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) or not earnings:
            raise BadInput(f"{item}: write YYYY-MM-DD=EARNINGS", "days")
        days.append({"date": day, "earnings_centimes": _amount(earnings)})
    outcome = terminal.write(
        "POST",
        "/v1/declarations/daily",
        {
            "registration_number": args.registration_number,
            "declared_by": args.declared_by,
            "days": days,
        },
        label=f"declare {args.registration_number} ({len(days)} d)",
    )
    if outcome.state == "queued":
        ctx.say(ctx._("Queued: will be sent when the network is back"))
        return 6
    done = _done(outcome)
    for day in done["days"]:
        ctx.say(f"{day['day']}  {format_mad(day['contribution_centimes']):>14}")
    ctx.say(f"{ctx._('Total due')}: {format_mad(done['total_centimes'])}")
    return 0


def rights(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    found = terminal.get(f"/v1/workers/{args.registration_number}/rights")
    state = found["rights"]
    ctx.say(f"{ctx._('Rights')}: {ctx._(state['status'])}")
    if state.get("covered_through"):
        ctx.say(f"{ctx._('Covered through')}: {state['covered_through'][:7]}")
    ctx.say(state["reason"])
    return 0


def reverse(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    username = ctx.ask(f"{ctx._('Supervisor username')}: ").strip()
    password = ctx.secret(f"{ctx._('Supervisor password')}: ")
    outcome = terminal.write(
        "POST",
        f"/v1/contributions/{args.receipt_number}/reversal",
        {"reason": args.reason, "supervisor": {"username": username, "password": password}},
        label=f"reverse {args.receipt_number}",
        queue_offline=False,
    )
    _print_receipt_of(ctx, _done(outcome))
    return 0


def certificate(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    outcome = terminal.write(
        "POST",
        f"/v1/workers/{args.registration_number}/certificates",
        {"kind": args.kind},
        label=f"certificate {args.registration_number}",
        queue_offline=False,
    )
    _print_receipt_of(ctx, _done(outcome), args.width)
    return 0


# -- receipts -----------------------------------------------------------------------------


def _resolve_receipt(ctx: Context, reference: str) -> str:
    if reference.count(".") == 2 and " " not in reference and len(reference) > 40:
        return reference
    path = Path(reference)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    terminal = ctx.terminal()
    kept = terminal.outbox.receipt(reference)
    if kept is not None:
        return kept
    try:
        found = terminal.get(f"/v1/receipts/{reference}")
    except ServiceError as exc:
        raise BadInput(f"{reference}: no such receipt here ({exc.code})", "receipt") from None
    jws = str(found["receipt"])
    terminal.outbox.keep_receipt(reference, jws, str(found["kind"]))
    return jws


def receipt_show(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
    ctx.say(render_ticket(decode_unverified(jws), width=args.width, lang=ctx.lang))
    ctx.say(qr_text(jws))
    return 0


def receipt_print(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
    text = render_ticket(decode_unverified(jws), width=args.width, lang=ctx.lang)
    if args.png is None and args.pdf is None:
        raise BadInput("say where to write it: --png FILE and/or --pdf FILE")
    if args.png is not None:
        qr_png(jws, args.png)
        ctx.say(str(args.png))
    if args.pdf is not None:
        ticket_pdf(text, jws, args.pdf, width=args.width)
        ctx.say(str(args.pdf))
    return 0


def receipt_verify(ctx: Context, args: argparse.Namespace) -> int:
    jws = _resolve_receipt(ctx, args.receipt)
    claims = verify_jws(jws, ctx.home.server_keys())
    ctx.say(ctx._("Receipt verified: signature valid"))
    ctx.say(render_ticket(claims, width=args.width, lang=ctx.lang))
    return 0


# -- outbox and the day -------------------------------------------------------------------


def outbox_list(ctx: Context, args: argparse.Namespace) -> int:
    terminal = ctx.terminal()
    pending = terminal.outbox.pending()
    if not pending:
        ctx.say(ctx._("Nothing queued"))
    for item in pending:
        signed = datetime.fromtimestamp(item.created, UTC).isoformat(timespec="seconds")
        ctx.say(
            f"#{item.seq:<6} {signed}  {'offline' if item.offline else 'online '}  {item.label}"
        )
    return 0


def outbox_sync(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_activation(ctx)
    outcomes = terminal.sync()
    if not outcomes:
        ctx.say(ctx._("Nothing queued"))
    for outcome in outcomes:
        _report_synced(ctx, outcome)
    return 6 if any(o.state == "queued" for o in outcomes) else 0


def day(ctx: Context, args: argparse.Namespace) -> int:
    terminal = _need_session(ctx)
    business_date = args.date or datetime.now(CASABLANCA).date().isoformat()
    found = terminal.get(f"/v1/offices/current/day?business_date={business_date}")
    ctx.say(f"{found['office']}  {found['business_date']}")
    ctx.say(f"{ctx._('Collections')}: {found['count']}  {format_mad(found['gross_centimes'])}")
    ctx.say(f"{ctx._('Reversals')}: {found['reversals']}  {format_mad(found['reversed_centimes'])}")
    ctx.say(f"{ctx._('Net')}: {format_mad(found['net_centimes'])}")
    for row in found["by_operator"]:
        ctx.say(
            f"  {row['operator']:<20} {row['count']:>4}  {format_mad(row['gross_centimes']):>14}"
        )
    return 0


__all__ = ["BadInput", "Context", "Home", "HomeError"]
