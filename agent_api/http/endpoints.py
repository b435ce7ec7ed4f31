"""Endpoint specifications: one declaration per endpoint, from which come the Starlette route,
the authentication and role check, the parsing of its body and query, and its OpenAPI entry.

Keeping all of that in one value is what lets a test enumerate every endpoint with its roles
and prove the authorization matrix, and lets ``/openapi.json`` describe every endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent_api.domain.roles import Actor, Role
from agent_api.errors import AuthenticationFailed, Forbidden
from agent_api.http.io import parse_body, parse_query
from agent_api.http.middleware import ROUTE_KEY
from agent_api.services.container import Services
from agent_api.services.tokens import ADMIN_AUDIENCE

M = TypeVar("M", bound=BaseModel)
Auth = Literal["public", "admin"]


@dataclass
class Call:
    """What a handler receives: the request, the services, the caller and parsed input."""

    request: Request
    services: Services
    actor: Actor | None
    raw_body: bytes
    parsed_body: BaseModel | None
    parsed_query: BaseModel | None

    def body(self, model: type[M]) -> M:
        assert isinstance(self.parsed_body, model)
        return self.parsed_body

    def query(self, model: type[M]) -> M:
        assert isinstance(self.parsed_query, model)
        return self.parsed_query

    def who(self) -> Actor:
        assert self.actor is not None
        return self.actor

    def path(self, name: str) -> Any:
        return self.request.path_params[name]


Handler = Callable[[Call], Awaitable[Response]]


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

    @property
    def template(self) -> str:
        """The path without Starlette's convertors: ``/x/{id:int}`` → ``/x/{id}``."""
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)

    def route(self) -> Route:
        async def endpoint(request: Request) -> Response:
            request.scope[ROUTE_KEY] = self.template
            services: Services = request.app.state.services
            actor = await self._authenticate(request, services)
            raw = await request.body()
            parsed_body = parse_body(raw, self.body) if self.body is not None else None
            parsed_query = (
                parse_query(request.query_params, self.query) if self.query is not None else None
            )
            return await self.handler(
                Call(request, services, actor, raw, parsed_body, parsed_query)
            )

        return Route(self.path, endpoint, methods=[self.method], name=self.summary)

    async def _authenticate(self, request: Request, services: Services) -> Actor | None:
        if self.auth == "public":
            return None
        token = bearer_token(request)
        actor = await run_in_threadpool(services.auth.authenticate, token, audience=ADMIN_AUDIENCE)
        if actor.role not in self.roles:
            raise Forbidden(f"the {actor.role.value} role may not call this endpoint")
        return actor


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("a bearer token is required", code="token_missing")
    return token.strip()


def routes(endpoints: Sequence[Endpoint]) -> list[Route]:
    return [e.route() for e in endpoints]
