"""Every back-office route, in one plain list, mounted at ``/back-office`` by ``qurb.asgi``.

A screen is one line here: its path, its view, the roles that may open it (and post to it),
and, for a screen people reach from the menu, one ``NavItem`` (docs/back-office.md).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from agent_api.domain.registry import NetworkStatus
from agent_api.domain.roles import BACK_OFFICE_ROLES, Role
from qurb.backoffice.views import account, cnss_admin, finance
from qurb.backoffice.web import HERE, NAVIGATION, NavItem, page

ANYONE = frozenset(BACK_OFFICE_ROLES)
# As qurb.finance: finance works; finance, auditors and the CNSS administrator read.
FINANCE_READ = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN})
FINANCE_WORK = frozenset({Role.FINANCE})
# Uploading a ledger or bank file and matching the day again is finance's job (the command
# line's ``qurb-reconcile import`` and ``match``, which hold the database, do the same).
FINANCE_UPLOAD = frozenset({Role.FINANCE})
# As the API's READ_REGISTRY for national readers (a network admin reads its own network in
# its own screens); networks, the tariff and waivers are changed by the CNSS admin only.
CNSS_READ = frozenset({Role.CNSS_ADMIN, Role.FINANCE, Role.AUDITOR})
CNSS_WRITE = frozenset({Role.CNSS_ADMIN})

ROUTES: list[BaseRoute] = [
    page("/sign-in", account.sign_in_form, roles=None),
    page("/sign-in", account.sign_in, roles=None, methods=("POST",)),
    page("/sign-out", account.sign_out, roles=ANYONE, methods=("POST",)),
    page("/", account.home, roles=ANYONE),
    # -- finance ---------------------------------------------------------------------------
    page("/finance/calendar", finance.calendar, roles=FINANCE_READ),
    page("/finance/days/{day}", finance.day, roles=FINANCE_READ),
    page("/finance/days/{day}/report.csv", finance.day_report_csv, roles=FINANCE_READ),
    page("/finance/exceptions", finance.exceptions, roles=FINANCE_READ),
    page("/finance/exceptions/{exception_id:int}", finance.exception, roles=FINANCE_READ),
    page("/finance/exceptions/work", finance.work, roles=FINANCE_WORK, methods=("POST",)),
    page("/finance/uploads", finance.upload_form, roles=FINANCE_UPLOAD),
    page("/finance/uploads", finance.upload, roles=FINANCE_UPLOAD, methods=("POST",)),
    page("/finance/statements", finance.statements, roles=FINANCE_READ),
    page("/finance/statements/{reference}.{format}", finance.statement, roles=FINANCE_READ),
    page("/finance/statements/{reference}", finance.statement, roles=FINANCE_READ),
    # -- CNSS administration -----------------------------------------------------------------
    page("/cnss/networks", cnss_admin.networks, roles=CNSS_READ),
    page("/cnss/networks", cnss_admin.create_network, roles=CNSS_WRITE, methods=("POST",)),
    page(
        "/cnss/networks/{code}/suspend",
        cnss_admin.network_status(NetworkStatus.SUSPENDED),
        roles=CNSS_WRITE,
        methods=("POST",),
    ),
    page(
        "/cnss/networks/{code}/reactivate",
        cnss_admin.network_status(NetworkStatus.ACTIVE),
        roles=CNSS_WRITE,
        methods=("POST",),
    ),
    page("/cnss/tariff", cnss_admin.tariff, roles=CNSS_READ),
    page("/cnss/tariff/rates", cnss_admin.announce_rate, roles=CNSS_WRITE, methods=("POST",)),
    page("/cnss/tariff/categories", cnss_admin.add_category, roles=CNSS_WRITE, methods=("POST",)),
    page("/cnss/tariff/brackets", cnss_admin.add_bracket, roles=CNSS_WRITE, methods=("POST",)),
    page("/cnss/waivers", cnss_admin.waivers, roles=CNSS_READ),
    page("/cnss/waivers", cnss_admin.create_waiver, roles=CNSS_WRITE, methods=("POST",)),
    page("/cnss/offices", cnss_admin.offices, roles=CNSS_READ),
    page("/cnss/terminals", cnss_admin.terminals, roles=CNSS_READ),
    page("/cnss/users", cnss_admin.users, roles=CNSS_READ),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="back-office-static"),
]

NAVIGATION.extend(
    [
        NavItem("finance.nav.calendar", "/finance/calendar", FINANCE_READ),
        NavItem("finance.nav.exceptions", "/finance/exceptions", FINANCE_READ),
        NavItem("finance.nav.uploads", "/finance/uploads", FINANCE_UPLOAD),
        NavItem("finance.nav.statements", "/finance/statements", FINANCE_READ),
    ]
)

NAVIGATION.extend(
    [
        NavItem("cnss.nav.networks", "/cnss/networks", CNSS_READ),
        NavItem("cnss.nav.tariff", "/cnss/tariff", CNSS_READ),
        NavItem("cnss.nav.waivers", "/cnss/waivers", CNSS_READ),
        NavItem("cnss.nav.registry", "/cnss/offices", CNSS_READ),
    ]
)
