"""The back-office API: networks, offices, terminals, users and back-office sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.permissions import (
    BACK_OFFICE_SESSION,
    MANAGE_NETWORKS,
    MANAGE_OFFICES,
    MANAGE_TERMINALS,
    MANAGE_USERS,
    READ_REGISTRY,
    READ_SECURITY_EVENTS,
)
from agent_api.domain.registry import NetworkStatus, OfficeStatus, UserStatus
from agent_api.http.endpoints import Call, Endpoint, Handler
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import admin as s
from agent_api.http.schemas.common import Output, Paging
from agent_api.http.throttled import unless_throttled
from agent_api.services.container import Services


async def sign_in(call: Call) -> Response:
    body = call.body(s.SignInIn)
    # The peer's address as the server sees it (behind a proxy, uvicorn's --proxy-headers
    # with --forwarded-allow-ips makes it the client's): what the throttle counts per source.
    client = call.request.client
    signed = await unless_throttled(
        call.services.auth.admin_login(
            body.username, body.password, source=client.host if client else "unknown"
        )
    )
    if isinstance(signed, Response):
        return signed
    return json_response(s.SessionOut.model_validate(signed), 201)


async def sign_out(call: Call) -> Response:
    await run_in_threadpool(call.services.auth.end_session, call.who())
    return Response(status_code=204)


# -- networks -----------------------------------------------------------------------------


async def create_network(call: Call) -> Response:
    body = call.body(s.NetworkIn)
    view = await run_in_threadpool(
        lambda: call.services.registry.create_network(call.who(), **body.model_dump())
    )
    return json_response(s.NetworkOut.model_validate(view), 201)


async def list_networks(call: Call) -> Response:
    q = call.query(Paging)
    views = await run_in_threadpool(
        lambda: call.services.registry.list_networks(call.who(), limit=q.limit, offset=q.offset)
    )
    return json_response(s.NetworkList(items=[s.NetworkOut.model_validate(v) for v in views]))


async def commission_rules(call: Call) -> Response:
    code = path_value(call.path("code"), "code")
    view = await run_in_threadpool(call.services.registry.commission_rules, call.who(), code)
    return json_response(s.CommissionRulesOut.model_validate(view))


async def announce_commission(call: Call) -> Response:
    code = path_value(call.path("code"), "code")
    body = call.body(s.CommissionRuleIn)
    announced = await run_in_threadpool(
        lambda: call.services.registry.announce_commission(call.who(), code, **body.model_dump())
    )
    return json_response(s.CommissionAnnouncedOut.model_validate(announced), 201)


# -- offices ------------------------------------------------------------------------------


async def create_office(call: Call) -> Response:
    body = call.body(s.OfficeIn)
    view = await run_in_threadpool(
        lambda: call.services.registry.create_office(call.who(), **body.model_dump())
    )
    return json_response(s.OfficeOut.model_validate(view), 201)


async def list_offices(call: Call) -> Response:
    q = call.query(s.OfficeQuery)
    views = await run_in_threadpool(
        lambda: call.services.registry.list_offices(
            call.who(), network=q.network, city=q.city, limit=q.limit, offset=q.offset
        )
    )
    return json_response(s.OfficeList(items=[s.OfficeOut.model_validate(v) for v in views]))


# -- terminals ----------------------------------------------------------------------------


async def create_terminal(call: Call) -> Response:
    body = call.body(s.TerminalIn)
    created = await run_in_threadpool(
        lambda: call.services.terminals.create(call.who(), office=body.office, label=body.label)
    )
    return json_response(s.TerminalCreated.model_validate(created), 201)


async def list_terminals(call: Call) -> Response:
    q = call.query(s.TerminalQuery)
    views = await run_in_threadpool(
        lambda: call.services.terminals.list(
            call.who(), office=q.office, status=q.status, limit=q.limit, offset=q.offset
        )
    )
    return json_response(s.TerminalList(items=[s.TerminalOut.model_validate(v) for v in views]))


async def new_activation_code(call: Call) -> Response:
    terminals = call.services.terminals
    terminal_id = path_value(call.path("terminal_id"), "terminal_id")
    created = await run_in_threadpool(terminals.new_activation_code, call.who(), terminal_id)
    return json_response(s.TerminalCreated.model_validate(created), 201)


# -- users --------------------------------------------------------------------------------


async def create_user(call: Call) -> Response:
    body = call.body(s.UserIn)
    view = await run_in_threadpool(
        lambda: call.services.users.create(call.who(), **body.model_dump())
    )
    return json_response(s.UserOut.model_validate(view), 201)


async def list_users(call: Call) -> Response:
    q = call.query(s.UserQuery)
    views = await run_in_threadpool(
        lambda: call.services.users.list(
            call.who(), role=q.role, office=q.office, limit=q.limit, offset=q.offset
        )
    )
    return json_response(s.UserList(items=[s.UserOut.model_validate(v) for v in views]))


async def set_password(call: Call) -> Response:
    body = call.body(s.PasswordIn)
    users = call.services.users
    view = await run_in_threadpool(
        users.set_password, call.who(), call.path("username"), body.password
    )
    return json_response(s.UserOut.model_validate(view))


async def list_security_events(call: Call) -> Response:
    q = call.query(s.SecurityEventQuery)
    views = await run_in_threadpool(
        lambda: call.services.events.list(
            call.who(), kind=q.kind, terminal_id=q.terminal_id, limit=q.limit, offset=q.offset
        )
    )
    return json_response(
        s.SecurityEventList(items=[s.SecurityEventOut.model_validate(v) for v in views])
    )


def by_path(
    method: Callable[[Services], Callable[..., Any]],
    param: str,
    out: type[Output],
    *extra: Any,
) -> Handler:
    """A handler that calls a service method on the object the path names (plus ``extra``
    arguments, e.g. the new status) and answers with its view."""

    async def handler(call: Call) -> Response:
        key = path_value(call.path(param), param)
        view = await run_in_threadpool(method(call.services), call.who(), key, *extra)
        return json_response(out.model_validate(view))

    return handler


def _status(
    method: Callable[[Services], Callable[..., Any]], param: str, out: type[Output]
) -> Callable[[Any], Handler]:
    return lambda status: by_path(method, param, out, status)


get_network = by_path(lambda sv: sv.registry.get_network, "code", s.NetworkOut)
network_status = _status(lambda sv: sv.registry.set_network_status, "code", s.NetworkOut)
get_office = by_path(lambda sv: sv.registry.get_office, "code", s.OfficeOut)
office_status = _status(lambda sv: sv.registry.set_office_status, "code", s.OfficeOut)
get_terminal = by_path(lambda sv: sv.terminals.get, "terminal_id", s.TerminalOut)
get_user = by_path(lambda sv: sv.users.get, "username", s.UserOut)
user_status = _status(lambda sv: sv.users.set_status, "username", s.UserOut)
unlock_user = by_path(lambda sv: sv.users.unlock, "username", s.UserOut)


def terminal_action(action: str) -> Handler:
    return by_path(lambda sv: getattr(sv.terminals, action), "terminal_id", s.TerminalOut)


_N = "/v1/admin/networks"
_O = "/v1/admin/offices"
_T = "/v1/admin/terminals"
_U = "/v1/admin/users"
_TID = _T + "/{terminal_id:int}"

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        "/v1/admin/sessions",
        sign_in,
        "Back-office sign-in",
        "public",
        body=s.SignInIn,
        response=s.SessionOut,
        status=201,
        tags=("sessions",),
        # A back-office account locks after failed sign-ins (423); a source or a username
        # that tried too often, or a burst that fills the hashing queue, waits (429).
        errors=(423, 429),
    ),
    Endpoint(
        "DELETE",
        "/v1/admin/sessions/current",
        sign_out,
        "Back-office sign-out",
        "admin",
        BACK_OFFICE_SESSION,
        status=204,
        tags=("sessions",),
    ),
    Endpoint(
        "POST",
        _N,
        create_network,
        "Create a network",
        "admin",
        MANAGE_NETWORKS,
        body=s.NetworkIn,
        response=s.NetworkOut,
        status=201,
        tags=("networks",),
    ),
    Endpoint(
        "GET",
        _N,
        list_networks,
        "List networks",
        "admin",
        READ_REGISTRY,
        query=Paging,
        response=s.NetworkList,
        tags=("networks",),
    ),
    Endpoint(
        "GET",
        _N + "/{code}",
        get_network,
        "Read a network",
        "admin",
        READ_REGISTRY,
        response=s.NetworkOut,
        tags=("networks",),
    ),
    Endpoint(
        "POST",
        _N + "/{code}/suspend",
        network_status(NetworkStatus.SUSPENDED),
        "Suspend a network",
        "admin",
        MANAGE_NETWORKS,
        response=s.NetworkOut,
        tags=("networks",),
    ),
    Endpoint(
        "POST",
        _N + "/{code}/reactivate",
        network_status(NetworkStatus.ACTIVE),
        "Reactivate a network",
        "admin",
        MANAGE_NETWORKS,
        response=s.NetworkOut,
        tags=("networks",),
    ),
    Endpoint(
        "GET",
        _N + "/{code}/commission-rules",
        commission_rules,
        "A network's commission rules: in force, announced, and their history",
        "admin",
        READ_REGISTRY,
        response=s.CommissionRulesOut,
        tags=("networks",),
    ),
    Endpoint(
        "POST",
        _N + "/{code}/commission-rules",
        announce_commission,
        "Announce a network's commission rule from a future business date "
        "(replaces one announced for the same day)",
        "admin",
        MANAGE_NETWORKS,
        body=s.CommissionRuleIn,
        response=s.CommissionAnnouncedOut,
        status=201,
        tags=("networks",),
    ),
    Endpoint(
        "POST",
        _O,
        create_office,
        "Create an office",
        "admin",
        MANAGE_OFFICES,
        body=s.OfficeIn,
        response=s.OfficeOut,
        status=201,
        tags=("offices",),
    ),
    Endpoint(
        "GET",
        _O,
        list_offices,
        "List offices",
        "admin",
        READ_REGISTRY,
        query=s.OfficeQuery,
        response=s.OfficeList,
        tags=("offices",),
    ),
    Endpoint(
        "GET",
        _O + "/{code}",
        get_office,
        "Read an office",
        "admin",
        READ_REGISTRY,
        response=s.OfficeOut,
        tags=("offices",),
    ),
    Endpoint(
        "POST",
        _O + "/{code}/suspend",
        office_status(OfficeStatus.SUSPENDED),
        "Suspend an office",
        "admin",
        MANAGE_OFFICES,
        response=s.OfficeOut,
        tags=("offices",),
    ),
    Endpoint(
        "POST",
        _O + "/{code}/reactivate",
        office_status(OfficeStatus.ACTIVE),
        "Reactivate an office",
        "admin",
        MANAGE_OFFICES,
        response=s.OfficeOut,
        tags=("offices",),
    ),
    Endpoint(
        "POST",
        _T,
        create_terminal,
        "Create a terminal (returns its activation code once)",
        "admin",
        MANAGE_TERMINALS,
        body=s.TerminalIn,
        response=s.TerminalCreated,
        status=201,
        tags=("terminals",),
    ),
    Endpoint(
        "GET",
        _T,
        list_terminals,
        "List terminals",
        "admin",
        READ_REGISTRY,
        query=s.TerminalQuery,
        response=s.TerminalList,
        tags=("terminals",),
    ),
    Endpoint(
        "GET",
        _TID,
        get_terminal,
        "Read a terminal and its key history",
        "admin",
        READ_REGISTRY,
        response=s.TerminalOut,
        tags=("terminals",),
    ),
    Endpoint(
        "POST",
        _TID + "/suspend",
        terminal_action("suspend"),
        "Suspend a terminal",
        "admin",
        MANAGE_TERMINALS,
        response=s.TerminalOut,
        tags=("terminals",),
    ),
    Endpoint(
        "POST",
        _TID + "/reactivate",
        terminal_action("reactivate"),
        "Reactivate a suspended terminal",
        "admin",
        MANAGE_TERMINALS,
        response=s.TerminalOut,
        tags=("terminals",),
    ),
    Endpoint(
        "POST",
        _TID + "/revoke",
        terminal_action("revoke"),
        "Revoke a terminal and its keys (final)",
        "admin",
        MANAGE_TERMINALS,
        response=s.TerminalOut,
        tags=("terminals",),
    ),
    Endpoint(
        "POST",
        _TID + "/activation-code",
        new_activation_code,
        "Issue a new activation code for a pending terminal",
        "admin",
        MANAGE_TERMINALS,
        response=s.TerminalCreated,
        status=201,
        tags=("terminals",),
    ),
    Endpoint(
        "POST",
        _U,
        create_user,
        "Create a user",
        "admin",
        MANAGE_USERS,
        body=s.UserIn,
        response=s.UserOut,
        status=201,
        tags=("users",),
    ),
    Endpoint(
        "GET",
        _U,
        list_users,
        "List users",
        "admin",
        READ_REGISTRY,
        query=s.UserQuery,
        response=s.UserList,
        tags=("users",),
    ),
    Endpoint(
        "GET",
        _U + "/{username}",
        get_user,
        "Read a user",
        "admin",
        READ_REGISTRY,
        response=s.UserOut,
        tags=("users",),
    ),
    Endpoint(
        "POST",
        _U + "/{username}/suspend",
        user_status(UserStatus.SUSPENDED),
        "Suspend a user (ends their sessions)",
        "admin",
        MANAGE_USERS,
        response=s.UserOut,
        tags=("users",),
    ),
    Endpoint(
        "POST",
        _U + "/{username}/reactivate",
        user_status(UserStatus.ACTIVE),
        "Reactivate a user",
        "admin",
        MANAGE_USERS,
        response=s.UserOut,
        tags=("users",),
    ),
    Endpoint(
        "POST",
        _U + "/{username}/unlock",
        unlock_user,
        "Unlock a user locked out by failed sign-ins",
        "admin",
        MANAGE_USERS,
        response=s.UserOut,
        tags=("users",),
    ),
    Endpoint(
        "PUT",
        _U + "/{username}/password",
        set_password,
        "Set a user's password (ends their sessions)",
        "admin",
        MANAGE_USERS,
        body=s.PasswordIn,
        response=s.UserOut,
        tags=("users",),
    ),
    Endpoint(
        "GET",
        "/v1/admin/security-events",
        list_security_events,
        "List security events (reused sequence numbers, gaps, revoked keys used)",
        "admin",
        READ_SECURITY_EVENTS,
        query=s.SecurityEventQuery,
        response=s.SecurityEventList,
        tags=("security",),
    ),
]
