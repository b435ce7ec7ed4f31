"""Setting a terminal up and signing operators in and out."""

from __future__ import annotations

import argparse
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw, rotation_proof_message
from terminal_client.api import Terminal
from terminal_client.commands.context import (
    ROTATION,
    BadInput,
    Context,
    adopt_rotated_key,
    answer_of,
    need_activation,
    need_session,
    sync_first,
)
from terminal_client.i18n import N_
from terminal_client.prompts import passphrase_from_environment

_ROLES = {"operator": N_("operator"), "supervisor": N_("supervisor")}


def init(ctx: Context, args: argparse.Namespace) -> int:
    passphrase = None
    if args.encrypt:
        passphrase = passphrase_from_environment()
        if passphrase is None:
            first = ctx.secret(f"{ctx._('Passphrase')}: ")
            if ctx.secret(f"{ctx._('Passphrase again')}: ") != first or len(first) < 8:
                text = N_("The passphrases differ or are shorter than 8 characters.")
                raise BadInput(text, "passphrase")
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
    done = answer_of(outcome)
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
    terminal = need_session(ctx)
    config = ctx.home.config()
    passphrase = terminal._passphrase
    # A key staged by an interrupted rotation is offered again: if the service accepted it
    # before the interruption, the same signed request is answered from the stored reply.
    new_key = ctx.home.staged_key(passphrase) or Ed25519PrivateKey.generate()
    ctx.home.stage_key(new_key, passphrase)
    new_raw = public_key_raw(new_key)
    proof = new_key.sign(
        rotation_proof_message(int(config["terminal_id"]), terminal.keyid, keyid(new_raw))
    )
    outcome = terminal.write(
        "POST",
        "/v1/terminals/current/keys",
        {"public_key": b64url_encode(new_raw), "proof": b64url_encode(proof)},
        label=ROTATION,
        queue_offline=False,
    )
    if outcome.state == "refused":
        ctx.home.drop_staged_key()
    answer = answer_of(outcome)
    adopt_rotated_key(ctx, terminal, answer)
    ctx.say(f"keyid {answer['keyid']}")
    return 0


def status(ctx: Context, args: argparse.Namespace) -> int:
    config = ctx.home.config()
    terminal = ctx.terminal()
    reachable = ctx._("online") if terminal.healthy() else ctx._("OFFLINE")
    office = config.get("office") or {}
    session = ctx.home.session()
    rows = [
        (ctx._("Server"), f"{config['server']} ({reachable})"),
        (ctx._("Terminal"), f"{config.get('terminal_id', '-')}  keyid {terminal.keyid}"),
        (ctx._("Office"), f"{office.get('code', '-')} {office.get('name', '')}"),
        (ctx._("Operator"), session["username"] if session else "-"),
    ]
    for label, value in rows:
        ctx.say(f"{label:<10} {value}")
    ctx.say(f"{ctx._('queued writes')}: {len(terminal.outbox.pending())}")
    return 0


def login(ctx: Context, args: argparse.Namespace) -> int:
    terminal = need_activation(ctx)
    # What is queued goes first: it may be a key rotation whose answer was never stored.
    sync_first(ctx, terminal)
    username = args.username or ctx.ask(f"{ctx._('Username')}: ").strip()
    password = ctx.secret(f"{ctx._('Password')}: ")
    done = sign_in(ctx, terminal, username, password)
    role = _ROLES.get(str(done["role"]), str(done["role"]))
    ctx.say(f"{done['full_name']} ({ctx._(role)}) — {done['office']}")
    sync_first(ctx, terminal)
    return 0


def sign_in(ctx: Context, terminal: Terminal, username: str, password: str) -> dict[str, Any]:
    """Sign the operator in (never queued) and keep the session this terminal's key is
    bound to; the service's answer (name, role, office)."""
    outcome = terminal.write(
        "POST",
        "/v1/sessions",
        {"username": username, "password": password},
        label=f"sign-in {username}",
        authenticated=False,
        queue_offline=False,
        # Salted, so that the digest the audit log keeps of this body is no unsalted hash of
        # a predictable username and its password (docs/protocol.md).
        personal=True,
    )
    done = answer_of(outcome)
    ctx.home.save_session(
        {k: done[k] for k in ("token", "expires_at", "username", "full_name", "role", "office")}
    )
    answer: dict[str, Any] = done
    return answer


def logout(ctx: Context, args: argparse.Namespace) -> int:
    sign_out(ctx, need_session(ctx))
    return 0


def sign_out(ctx: Context, terminal: Terminal) -> None:
    """End the operator's session at the service (queued if the network is down) and here."""
    terminal.write("DELETE", "/v1/sessions/current", None, label="sign-out")
    ctx.home.save_session(None)
