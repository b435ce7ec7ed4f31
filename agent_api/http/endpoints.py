"""Endpoint specifications: one declaration per endpoint, from which come the Starlette route,
the authentication and role check, the parsing of its body and query, and its OpenAPI entry.

Keeping all of that in one value is what lets a test enumerate every endpoint with its roles
and prove the authorization matrix, and lets ``/openapi.json`` describe every endpoint.

Authentication modes:

- ``public``: nothing.
- ``admin``: a back-office bearer token.
- ``activation``: an RFC 9421 signature by the public key the body registers.
- ``terminal``: a signature by a registered terminal key (operator sign-in).
- ``operator``: a terminal signature and an operator token bound to that terminal key.

Every signed request takes one way in (``_admitted``, in a worker thread): the signature,
the terminal's key, the replay of a stored response (a request whose sequence number already
holds one is answered from it right after the signature check, before anything else runs),
the operator's session, then the parsing of its body. A signed write's handler then builds
its use case's input and hands it, with its ``WriteKind``, to the one write pipeline
(``Call.run``: ``services.signed_writes``). A plain handler runs in the same worker thread as
its checks; a coroutine handler (one that awaits a throttled password check first) after them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent_api.domain.roles import Actor, Role
from agent_api.errors import AuthenticationFailed, Forbidden, ValidationFailed
from agent_api.http.io import parse_body, parse_query
from agent_api.http.middleware import ROUTE_KEY
from agent_api.http.signing import CheckedSignature, check_signature, signed_request
from agent_api.protocol import signatures as sig
from agent_api.services.container import Services
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.sessions.tokens import ADMIN_AUDIENCE, TERMINAL_AUDIENCE
from agent_api.services.writes import signed_writes
from agent_api.services.writes.idempotency import StoredResponse, WriteContext
from agent_api.services.writes.signed_writes import WriteKind

M = TypeVar("M", bound=BaseModel)
In = TypeVar("In")
R = TypeVar("R")
Auth = Literal["public", "admin", "activation", "terminal", "operator"]
SIGNED: frozenset[str] = frozenset({"activation", "terminal", "operator"})


@dataclass
class Call:
    """What a handler receives: the request, the services, the caller and parsed input."""

    request: Request
    services: Services
    actor: Actor | None
    raw_body: bytes
    parsed_body: BaseModel | None
    parsed_query: BaseModel | None
    signature: CheckedSignature | None = None
    terminal: TerminalContext | None = None

    def body(self, model: type[M]) -> M:
        assert isinstance(self.parsed_body, model)
        return self.parsed_body

    def query(self, model: type[M]) -> M:
        assert isinstance(self.parsed_query, model)
        return self.parsed_query

    def who(self) -> Actor:
        assert self.actor is not None
        return self.actor

    def at_terminal(self) -> TerminalContext:
        assert self.terminal is not None
        return self.terminal

    def write(self, terminal_id: int | None = None) -> WriteContext:
        assert self.signature is not None
        owner = terminal_id if terminal_id is not None else self.at_terminal().terminal_id
        return self.signature.write_context(owner, self.services.clock())

    def path(self, name: str) -> Any:
        return self.request.path_params[name]

    def run(
        self, kind: WriteKind[In, R], request: In, write: WriteContext | None = None
    ) -> Response:
        """A signed write through the pipeline, in this thread; its stored response."""
        done = signed_writes.run(self.services, kind, write or self.write(), request)
        return stored_response(done)

    async def run_in_thread(
        self, kind: WriteKind[In, R], request: In, write: WriteContext | None = None
    ) -> Response:
        """``run`` from a coroutine handler, in a worker thread."""
        return await run_in_threadpool(self.run, kind, request, write)


# A handler is a coroutine, or a plain function for the hot paths: a plain handler runs
# with its request's checks in one worker thread, one hop from the event loop instead of two.
Handler = Callable[[Call], Awaitable[Response]] | Callable[[Call], Response]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: Auth
    roles: frozenset[Role] = frozenset()
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = field(default=())

    @classmethod
    def signed_write(  # noqa: PLR0917 - the positional fields of Endpoint, and its kind
        cls,
        kind: WriteKind[Any, Any],
        method: str,
        path: str,
        handler: Handler,
        summary: str,
        auth: Auth,
        roles: frozenset[Role] = frozenset(),
        **fields: Any,
    ) -> Endpoint:
        """The endpoint of a signed write: its success status is the write kind's, declared
        once there (the pipeline answers with it; the OpenAPI document and the matrix read it
        here)."""
        if "status" in fields:
            raise TypeError(f"{path}: a signed write's status is its kind's ({kind.name})")
        fields["status"] = kind.status
        return cls(method, path, handler, summary, auth, roles, **fields)

    @property
    def template(self) -> str:
        """The path without Starlette's convertors: ``/x/{id:int}`` → ``/x/{id}``."""
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)

    @property
    def signed(self) -> bool:
        return self.auth in SIGNED

    @property
    def reads(self) -> bool:
        """A read: a GET, or a POST that creates nothing (answers 200) because what it looks
        up travels in the signed body, never in a URL (a lookup by CIN)."""
        return self.method == "GET" or (self.method == "POST" and self.status == 200)

    def route(self) -> Route:
        blocking = not inspect.iscoroutinefunction(self.handler)
        assert self.signed or not blocking, "plain handlers serve signed endpoints"

        async def endpoint(request: Request) -> Response:
            request.scope[ROUTE_KEY] = self.template
            services: Services = request.app.state.services
            raw = await request.body()
            call = Call(request, services, None, raw, None, None)
            if blocking:
                return await run_in_threadpool(self._serve, call)
            if self.signed:
                replay = await run_in_threadpool(self._admitted, call)
                if replay is not None:
                    return stored_response(replay)
            else:
                if self.auth == "admin":
                    call.actor = await self._authenticate_admin(request, services)
                self._parse(call)
            coroutine = cast(Callable[[Call], Awaitable[Response]], self.handler)
            return await coroutine(call)

        return Route(self.path, endpoint, methods=[self.method], name=self.summary)

    def _serve(self, call: Call) -> Response:
        """A plain handler with its checks, all in one worker thread."""
        replay = self._admitted(call)
        if replay is not None:
            return stored_response(replay)
        return cast(Callable[[Call], Response], self.handler)(call)

    def _parse(self, call: Call) -> None:
        if self.body is not None:
            call.parsed_body = parse_body(call.raw_body, self.body)
        if self.query is not None:
            call.parsed_query = parse_query(call.request.query_params, self.query)

    def _admitted(self, call: Call) -> StoredResponse | None:
        """A signed request's way in (in a worker thread: it reads the database and
        verifies): its signature, then, but for an activation, the terminal, the stored
        response of a retry and the operator; then its body. ``None``: go on to the
        handler."""
        services = call.services
        request = signed_request(call.request, call.raw_body)
        checked = check_signature(request, services.settings, services.clock())
        call.signature = checked
        # An activation's new key proves possession by signing its own activation; the
        # handler verifies it against the key in the body (docs/protocol.md).
        if self.auth != "activation":
            replay = self._admit(call, checked, request)
            if replay is not None:
                return replay
        self._parse(call)
        return None

    async def _authenticate_admin(self, request: Request, services: Services) -> Actor:
        token = bearer_token(request)
        actor = await run_in_threadpool(services.auth.authenticate, token, audience=ADMIN_AUDIENCE)
        self._check_role(actor)
        return actor

    def _check_role(self, actor: Actor) -> None:
        if actor.role not in self.roles:
            raise Forbidden(f"the {actor.role.value} role may not call this endpoint")

    def _admit(
        self, call: Call, checked: CheckedSignature, request: sig.SignedRequest
    ) -> StoredResponse | None:
        """Verify the terminal's signature, answer a retry from its stored response, and
        authenticate the operator; in this order, whatever the request gets wrong first."""
        services = call.services
        if checked.offline and self.reads:
            # A write queued offline is judged at the time it was signed; a read answers
            # with what is true now, to whoever holds the session now: never offline.
            raise ValidationFailed(
                "Qurb-Offline: a read is answered online only, never queued offline",
                field="Qurb-Offline",
            )
        token: str | None = None
        claims: dict[str, Any] | None = None
        token_error: AuthenticationFailed | None = None
        if self.auth == "operator":
            # A write queued offline is judged at the time the terminal signed it.
            at = _signed_at(checked) if checked.offline else services.clock()
            try:
                token = bearer_token(call.request)
                claims = services.signer.decode(token, audience=TERMINAL_AUDIENCE, now=at)
            except AuthenticationFailed as exc:
                token_error = exc  # raised below, after the signature and the replay
        terminal, row = services.terminal_auth.gate(
            checked.keyid,
            sequence=checked.sequence,
            jti=claims.get("jti") if claims is not None else None,
        )
        sig.verify_signature(checked.parsed, request, terminal.public_key)
        call.terminal = terminal
        if row.stored is not None:
            return services.idempotency.replay(row.stored, call.write())
        if terminal.key_status != "active":
            raise AuthenticationFailed(
                "this key was rotated out; sign with the terminal's current key",
                code="key_revoked",
            )
        if self.auth == "operator":
            if token_error is not None:
                raise token_error
            assert claims is not None
            call.actor = services.terminal_auth.authenticate_operator(
                claims, row.session, terminal, at=_signed_at(checked) if checked.offline else None
            )
            self._check_role(call.actor)
        return None


def _signed_at(checked: CheckedSignature) -> datetime:
    created = checked.parsed.created
    assert created is not None
    return datetime.fromtimestamp(created, UTC)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    # Only SP and HTAB are optional whitespace (RFC 9110 §5.6.3): str.strip() would also take
    # NEL or NBSP off a token, accepting bytes that are not the token.
    token = token.strip(" \t")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("a bearer token is required", code="token_missing")
    return token


def stored_response(outcome: StoredResponse) -> Response:
    """The response of a signed write, byte for byte as stored, marked when it is the stored
    original."""
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if not outcome.text:
        return Response(status_code=outcome.status, headers=headers)
    return Response(
        outcome.text, status_code=outcome.status, headers=headers, media_type="application/json"
    )


def response(schema: type[BaseModel]) -> Callable[[Any], Any]:
    """A write kind's renderer for a result that reads as ``schema`` (its attributes)."""

    def render(result: Any) -> Any:
        return schema.model_validate(result).model_dump(mode="json")

    return render


def routes(endpoints: Sequence[Endpoint]) -> list[Route]:
    return [e.route() for e in endpoints]
