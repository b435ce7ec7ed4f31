"""Every back-office route, in one plain list, mounted at ``/back-office`` by ``qurb.asgi``.

A screen is one line here: its path, its view, the roles that may open it (and post to it),
and, for a screen people reach from the menu, one ``NavItem`` (docs/back-office.md).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from agent_api.domain.roles import BACK_OFFICE_ROLES
from qurb.backoffice.views import account
from qurb.backoffice.web import HERE, page

ANYONE = frozenset(BACK_OFFICE_ROLES)

ROUTES: list[BaseRoute] = [
    page("/sign-in", account.sign_in_form, roles=None),
    page("/sign-in", account.sign_in, roles=None, methods=("POST",)),
    page("/sign-out", account.sign_out, roles=ANYONE, methods=("POST",)),
    page("/", account.home, roles=ANYONE),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="back-office-static"),
]
