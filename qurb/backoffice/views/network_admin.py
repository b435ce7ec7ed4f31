"""The network administrator's screens: its offices, its terminals (created with an activation
code shown once, suspended, reactivated, revoked, given a new code while pending, their key
history) and its counter staff (created, unlocked, given a new password, suspended).

Every read and write calls the service ``/v1/admin/*`` calls, with the signed-in actor: the
service keeps the network admin to its own network (another network's office, terminal or
user is a 404, as on the API) and writes each change in one transaction with its audit leaf.
Forms are checked by the API's own input models (``agent_api.http.schemas.admin``), so a
username, a password or a label is refused here exactly as there.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.permissions import MANAGE_TERMINALS
from agent_api.domain.registry import TerminalStatus, UserStatus
from agent_api.domain.roles import CREATABLE_BY_NETWORK_ADMIN, Role
from agent_api.errors import QurbError, ValidationFailed
from agent_api.http.io import parse_body, path_value
from agent_api.http.schemas import admin as s
from qurb.backoffice.session import PREFIX
from qurb.backoffice.web import Page, error_page, whole_number

M = TypeVar("M", bound=BaseModel)
PER_PAGE = 50
OFFICE_ITEMS = 200  # the terminals and staff shown on one office's page
# The notices a write may leave for the next page (?done=…); anything else shows nothing.
DONE = frozenset(
    {
        "suspended",
        "reactivated",
        "revoked",
        "unlocked",
        "password_set",
        "created",
    }
)
STAFF_ROLES = tuple(sorted(r.value for r in CREATABLE_BY_NETWORK_ADMIN))


def _checked(values: dict[str, str], model: type[M]) -> M:
    """A form's fields checked by the API's own input model, exactly as its JSON body is."""
    return parse_body(json.dumps(values).encode(), model)


def _extra(page: Page) -> dict[str, Any]:
    """What the screens need to offer a write only to whom the service lets write."""
    return {
        "can_write": page.who().role in MANAGE_TERMINALS,
        "staff_roles": STAFF_ROLES,
    }


def _render(page: Page, template: str, **values: Any) -> Response:
    return page.render(template, **_extra(page), **values)


def _page_number(page: Page) -> int:
    text = page.query("page")
    if not text:
        return 1
    number = whole_number(text, maximum=99_999)
    if not number:
        raise ValidationFailed("page must be a whole number", field="page")
    return number


def _notice(page: Page) -> str | None:
    done = page.query("done")
    return page.t(f"network.done.{done}") if done in DONE else None


def _terminal_id(page: Page) -> int:
    found: int = path_value(page.request.path_params["terminal_id"], "terminal_id")
    return found


def _username(page: Page) -> str:
    found: str = path_value(page.request.path_params["username"], "username")
    return found


# -- offices ------------------------------------------------------------------------------


async def offices(page: Page) -> Response:
    raw = {"city": page.query("city"), "page": page.query("page")}
    number = _page_number(page)
    found = await run_in_threadpool(
        lambda: page.services.registry.list_offices(
            page.who(),
            network=None,
            city=raw["city"] or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    )
    return _render(
        page,
        "network_admin/offices.html",
        offices=found,
        raw=raw,
        page_number=number,
        more=len(found) == PER_PAGE,
    )


async def office(page: Page) -> Response:
    code: str = path_value(page.request.path_params["code"], "code")
    who = page.who()
    found = await run_in_threadpool(page.services.registry.get_office, who, code)
    terminals = await run_in_threadpool(
        lambda: page.services.terminals.list(
            who, office=code, status=None, limit=OFFICE_ITEMS, offset=0
        )
    )
    staff = await run_in_threadpool(
        lambda: page.services.users.list(who, role=None, office=code, limit=OFFICE_ITEMS, offset=0)
    )
    return _render(page, "network_admin/office.html", o=found, terminals=terminals, staff=staff)


# -- terminals ----------------------------------------------------------------------------


async def terminals(page: Page) -> Response:
    raw = {"office": page.query("office"), "status": page.query("status"), "page": ""}
    status = raw["status"] or None
    if status is not None and status not in set(TerminalStatus):
        raise ValidationFailed("no such status", field="status")
    number = _page_number(page)
    found = await run_in_threadpool(
        lambda: page.services.terminals.list(
            page.who(),
            office=raw["office"] or None,
            status=status,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    )
    return _render(
        page,
        "network_admin/terminals.html",
        terminals=found,
        statuses=[(v.value, page.t(f"network.terminal_status.{v.value}")) for v in TerminalStatus],
        raw=raw,
        page_number=number,
        more=len(found) == PER_PAGE,
    )


async def new_terminal(page: Page) -> Response:
    return _render(page, "network_admin/terminal_new.html", office=page.query("office"), label="")


async def create_terminal(page: Page) -> Response:
    """The code is in this answer only: it is not stored in the clear anywhere, the page is
    never cached, and the terminal's own page does not show it."""
    office, label = page.field("office"), page.field("label")
    try:
        body = _checked({"office": office, "label": label or "Terminal"}, s.TerminalIn)
        created = await run_in_threadpool(
            lambda: page.services.terminals.create(page.who(), office=body.office, label=body.label)
        )
    except QurbError as refused:
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="network_admin/terminal_new.html",
            context={"office": office, "label": label, **_extra(page)},
        )
    return _render(page, "network_admin/terminal_code.html", created=created, first=True)


async def terminal(page: Page) -> Response:
    found = await run_in_threadpool(page.services.terminals.get, page.who(), _terminal_id(page))
    return _render(page, "network_admin/terminal.html", tm=found, notice=_notice(page))


def _terminal_action(action: str, done: str) -> Any:
    async def view(page: Page) -> Response:
        terminal_id = _terminal_id(page)
        await run_in_threadpool(getattr(page.services.terminals, action), page.who(), terminal_id)
        return page.redirect(f"{PREFIX}/network/terminals/{terminal_id}?done={done}")

    return view


suspend_terminal = _terminal_action("suspend", "suspended")
reactivate_terminal = _terminal_action("reactivate", "reactivated")


async def revoke_form(page: Page) -> Response:
    found = await run_in_threadpool(page.services.terminals.get, page.who(), _terminal_id(page))
    return _render(page, "network_admin/terminal_revoke.html", tm=found)


async def revoke_terminal(page: Page) -> Response:
    """Final, so the form asks for an explicit confirmation before the service is called."""
    terminal_id = _terminal_id(page)
    if page.field("confirm") != "yes":
        found = await run_in_threadpool(page.services.terminals.get, page.who(), terminal_id)
        return error_page(
            page,
            422,
            "confirm_revocation",
            template="network_admin/terminal_revoke.html",
            context={"tm": found, **_extra(page)},
        )
    await run_in_threadpool(page.services.terminals.revoke, page.who(), terminal_id)
    return page.redirect(f"{PREFIX}/network/terminals/{terminal_id}?done=revoked")


async def new_activation_code(page: Page) -> Response:
    created = await run_in_threadpool(
        page.services.terminals.new_activation_code, page.who(), _terminal_id(page)
    )
    return _render(page, "network_admin/terminal_code.html", created=created, first=False)


# -- counter staff ------------------------------------------------------------------------


async def staff(page: Page) -> Response:
    raw = {"office": page.query("office"), "role": page.query("role"), "page": ""}
    role = raw["role"] or None
    if role is not None and role not in STAFF_ROLES:
        raise ValidationFailed("no such role", field="role")
    number = _page_number(page)
    found = await run_in_threadpool(
        lambda: page.services.users.list(
            page.who(),
            role=Role(role) if role else None,
            office=raw["office"] or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    )
    return _render(
        page,
        "network_admin/staff.html",
        staff=found,
        roles=[(r, page.t(f"role.{r}")) for r in STAFF_ROLES],
        raw=raw,
        page_number=number,
        more=len(found) == PER_PAGE,
    )


def _staff_form(page: Page, values: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "roles": [(r, page.t(f"role.{r}")) for r in STAFF_ROLES],
    }


async def new_staff(page: Page) -> Response:
    values = {"username": "", "full_name": "", "role": "operator", "office": page.query("office")}
    return _render(page, "network_admin/staff_new.html", **_staff_form(page, values))


async def create_staff(page: Page) -> Response:
    values = {k: page.field(k) for k in ("username", "full_name", "role", "office")}
    try:
        body = _checked({**values, "password": page.field("password")}, s.UserIn)
        if body.role not in CREATABLE_BY_NETWORK_ADMIN:
            raise ValidationFailed("choose an operator or a supervisor", field="role")
        created = await run_in_threadpool(
            lambda: page.services.users.create(page.who(), **body.model_dump())
        )
    except QurbError as refused:
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="network_admin/staff_new.html",
            context={**_staff_form(page, values), **_extra(page)},
        )
    return page.redirect(f"{PREFIX}/network/staff/{created.username}?done=created")


async def staff_member(page: Page) -> Response:
    found = await run_in_threadpool(page.services.users.get, page.who(), _username(page))
    return _render(page, "network_admin/staff_member.html", u=found, notice=_notice(page))


def _staff_action(call: Any, done: str) -> Any:
    async def view(page: Page) -> Response:
        username = _username(page)
        await run_in_threadpool(call(page), page.who(), username)
        return page.redirect(f"{PREFIX}/network/staff/{username}?done={done}")

    return view


unlock_staff = _staff_action(lambda p: p.services.users.unlock, "unlocked")
suspend_staff = _staff_action(
    lambda p: lambda who, name: p.services.users.set_status(who, name, UserStatus.SUSPENDED),
    "suspended",
)
reactivate_staff = _staff_action(
    lambda p: lambda who, name: p.services.users.set_status(who, name, UserStatus.ACTIVE),
    "reactivated",
)


async def set_password(page: Page) -> Response:
    username = _username(page)
    try:
        body = _checked({"password": page.field("password")}, s.PasswordIn)
        await run_in_threadpool(
            page.services.users.set_password, page.who(), username, body.password
        )
    except ValidationFailed as refused:
        found = await run_in_threadpool(page.services.users.get, page.who(), username)
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="network_admin/staff_member.html",
            context={"u": found, "notice": None, **_extra(page)},
        )
    return page.redirect(f"{PREFIX}/network/staff/{username}?done=password_set")
