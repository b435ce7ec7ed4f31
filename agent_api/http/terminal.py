"""The terminal API: activation, key rotation, operator sessions, and the published keys."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from agent_api.domain import activation
from agent_api.domain.permissions import COUNTER_STAFF
from agent_api.domain.roles import Actor
from agent_api.errors import ValidationFailed
from agent_api.http.endpoints import Call, Endpoint, response, stored_response
from agent_api.http.schemas import terminal as s
from agent_api.http.throttled import unless_throttled
from agent_api.persistence.tables import User
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.protocol import signatures as sig
from agent_api.protocol.encoding import b64url_decode
from agent_api.protocol.errors import SignatureInvalidError
from agent_api.protocol.keys import keyid as keyid_of
from agent_api.services.container import Services
from agent_api.services.sessions.auth import end_session_in
from agent_api.services.sessions.terminal_auth import (
    ActivatedTerminal,
    OperatorSession,
    RotatedKey,
    TerminalContext,
)
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.signed_writes import Done, WriteKind

Jwks = dict[str, list[dict[str, str]]]


@dataclass(frozen=True)
class _Activation:
    terminal_id: int
    secret: str
    public_raw: bytes


def _activate(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Activation
) -> Done[tuple[ActivatedTerminal, Jwks]]:
    done = services.terminal_auth.activate(uow, r.terminal_id, r.secret, r.public_raw)
    return Done((done, services.jwks))


def _activated(both: tuple[ActivatedTerminal, Jwks]) -> object:
    done, jwks = both
    return s.ActivationOut(
        terminal_id=done.terminal_id,
        label=done.label,
        keyid=done.keyid,
        office=s.OfficeRef(code=done.office_code, name=done.office_name, city=done.office_city),
        network=s.NetworkRef(code=done.network_code, name=done.network_name),
        server_keys=s.Jwks.model_validate(jwks),
    ).model_dump(mode="json")


ACTIVATE = WriteKind("activate", _activate, _activated)


async def activate(call: Call) -> Response:
    body = call.body(s.ActivationIn)
    checked = call.signature
    assert checked is not None
    public_raw = b64url_decode(body.public_key)
    if checked.keyid != keyid_of(public_raw):
        raise SignatureInvalidError("keyid is not the thumbprint of the key being activated")
    sig.verify_signature(checked.parsed, checked.request, public_raw)
    parsed_code = activation.parse_code(body.activation_code)
    if parsed_code is None:
        raise ValidationFailed(
            "activation_code: is not of the form <id>-XXXX-XXXX-XXXX", field="activation_code"
        )
    services = call.services
    write = call.write(parsed_code[0])
    # The terminal is named by a code anyone may type: only a retry signed by the same key
    # is answered from the stored response, before the code is checked (and counted).
    stored = await run_in_threadpool(lambda: services.idempotency.stored(write, same_key_only=True))
    if stored is not None:
        return stored_response(stored)
    terminal_id, secret = await run_in_threadpool(
        services.terminal_auth.check_activation_code, body.activation_code
    )
    return await call.run_in_thread(ACTIVATE, _Activation(terminal_id, secret, public_raw), write)


def _rotate(
    services: Services,
    uow: UnitOfWork,
    write: WriteContext,
    r: tuple[TerminalContext, s.RotationIn],
) -> Done[RotatedKey]:
    terminal, body = r
    new_raw, proof = b64url_decode(body.public_key), b64url_decode(body.proof)
    return Done(services.terminal_auth.rotate(uow, terminal, new_raw, proof))


ROTATE_KEY = WriteKind("rotate_key", _rotate, response(s.RotationOut))


def rotate_key(call: Call) -> Response:
    return call.run(ROTATE_KEY, (call.at_terminal(), call.body(s.RotationIn)))


def _sign_in(
    services: Services, uow: UnitOfWork, write: WriteContext, r: tuple[TerminalContext, User]
) -> Done[OperatorSession]:
    return Done(services.terminal_auth.open_session(uow, *r))


SIGN_IN = WriteKind("sign_in", _sign_in, response(s.OperatorSessionOut))


async def sign_in(call: Call) -> Response:
    body = call.body(s.OperatorSignInIn)
    services = call.services
    terminal = call.at_terminal()
    user = await unless_throttled(
        services.terminal_auth.check_operator(terminal, body.username, body.password)
    )
    if isinstance(user, Response):
        return user
    return await call.run_in_thread(SIGN_IN, (terminal, user))


def _sign_out(services: Services, uow: UnitOfWork, write: WriteContext, actor: Actor) -> Done[None]:
    end_session_in(uow.session, actor, services.clock())
    return Done(None)


SIGN_OUT = WriteKind("sign_out", _sign_out, lambda _: None, status=204)


def sign_out(call: Call) -> Response:
    return call.run(SIGN_OUT, call.who())


async def keys(call: Call) -> Response:
    return JSONResponse(call.services.jwks)


ENDPOINTS: list[Endpoint] = [
    Endpoint.signed_write(
        ACTIVATE,
        "POST",
        "/v1/terminals/activate",
        activate,
        "Activate a terminal: register its key with the one-time code",
        "activation",
        body=s.ActivationIn,
        response=s.ActivationOut,
        tags=("terminals",),
    ),
    Endpoint.signed_write(
        ROTATE_KEY,
        "POST",
        "/v1/terminals/current/keys",
        rotate_key,
        "Rotate the terminal's key (signed with the current key)",
        "operator",
        COUNTER_STAFF,
        body=s.RotationIn,
        response=s.RotationOut,
        tags=("terminals",),
    ),
    Endpoint.signed_write(
        SIGN_IN,
        "POST",
        "/v1/sessions",
        sign_in,
        "Operator sign-in on a terminal",
        "terminal",
        body=s.OperatorSignInIn,
        response=s.OperatorSessionOut,
        tags=("sessions",),
        # The account locks after failed sign-ins (423), the terminal is throttled (429).
        errors=(423, 429),
    ),
    Endpoint.signed_write(
        SIGN_OUT,
        "DELETE",
        "/v1/sessions/current",
        sign_out,
        "Operator sign-out",
        "operator",
        COUNTER_STAFF,
        tags=("sessions",),
    ),
    Endpoint(
        "GET",
        "/v1/keys",
        keys,
        "The service's public keys (JWKS)",
        "public",
        response=s.Jwks,
        tags=("keys",),
    ),
]
