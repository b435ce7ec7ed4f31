"""Every back-office route, in one plain list, mounted at ``/back-office`` by ``qurb.asgi``.

A screen is one line here: its path, its view, the roles that may open it (and post to it),
and, for a screen people reach from the menu, one ``NavItem`` (docs/back-office.md).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from agent_api.domain.registry import NetworkStatus
from agent_api.domain.roles import BACK_OFFICE_ROLES, Role
from qurb.backoffice.views import (
    account,
    auditor,
    claims,
    cnss_admin,
    deposits,
    drawers,
    finance,
    network_admin,
)
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
# As /v1/audit/*: the log is the auditor's, read only. Security events as the API's
# READ_SECURITY_EVENTS, national readers here, a network admin its own in its screens.
AUDIT = frozenset({Role.AUDITOR})
EVENTS_READ = frozenset({Role.AUDITOR, Role.CNSS_ADMIN})
# A network admin's own network (the services keep it there: another's object is a 404).
NETWORK = frozenset({Role.NETWORK_ADMIN})
# As qurb.finance.SETTLEMENTS: a network admin reads its own network's statements.
SETTLEMENT_READ = FINANCE_READ | NETWORK
# AMO reimbursement files: a network admin its own network's, CNSS finance and admin all.
DEPOSITS_READ = frozenset({Role.NETWORK_ADMIN, Role.FINANCE, Role.CNSS_ADMIN})

ROUTES: list[BaseRoute] = [
    page("/sign-in", account.sign_in_form, roles=None),
    page("/sign-in", account.sign_in, roles=None, methods=("POST",)),
    page("/sign-out", account.sign_out, roles=ANYONE, methods=("POST",)),
    page("/", account.home, roles=ANYONE),
    # -- finance ---------------------------------------------------------------------------
    page("/finance/calendar", finance.calendar, roles=FINANCE_READ),
    page("/finance/days/{day}", finance.day, roles=FINANCE_READ),
    page("/finance/days/{day}/report.csv", finance.day_report_file, roles=FINANCE_READ),
    page("/finance/days/{day}/report.xlsx", finance.day_report_file, roles=FINANCE_READ),
    page("/finance/exceptions", finance.exceptions, roles=FINANCE_READ),
    page("/finance/exceptions/{exception_id:int}", finance.exception, roles=FINANCE_READ),
    page("/finance/exceptions/work", finance.work, roles=FINANCE_WORK, methods=("POST",)),
    page("/finance/tracking", claims.queue, roles=FINANCE_READ),
    page("/finance/tracking/{exception_id:int}", claims.exception, roles=FINANCE_READ),
    page(
        "/finance/tracking/{exception_id:int}/work",
        claims.work,
        roles=FINANCE_WORK,
        methods=("POST",),
    ),
    page("/finance/uploads", finance.upload_form, roles=FINANCE_UPLOAD),
    page("/finance/uploads", finance.upload, roles=FINANCE_UPLOAD, methods=("POST",)),
    page("/finance/statements", finance.statements, roles=SETTLEMENT_READ),
    page("/finance/statements/{reference}.{format}", finance.statement, roles=SETTLEMENT_READ),
    page("/finance/statements/{reference}", finance.statement, roles=SETTLEMENT_READ),
    # -- CNSS administration -----------------------------------------------------------------
    page("/cnss/networks", cnss_admin.networks, roles=CNSS_READ),
    page("/cnss/networks", cnss_admin.create_network, roles=CNSS_WRITE, methods=("POST",)),
    page("/cnss/networks/{code}", cnss_admin.network, roles=CNSS_READ),
    page(
        "/cnss/networks/{code}/commission",
        cnss_admin.announce_commission,
        roles=CNSS_WRITE,
        methods=("POST",),
    ),
    page(
        "/cnss/networks/{code}/file-fee",
        cnss_admin.announce_file_fee,
        roles=CNSS_WRITE,
        methods=("POST",),
    ),
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
    # -- auditor -----------------------------------------------------------------------------
    page("/audit/log", auditor.log, roles=AUDIT),
    page("/audit/receipts", auditor.receipt, roles=AUDIT),
    page(
        "/audit/receipts",
        auditor.receipt_image,
        roles=AUDIT,
        methods=("POST",),
        in_memory_upload=auditor.IMAGE_FORM_BYTES,
    ),
    page("/audit/security-events", auditor.security_events, roles=EVENTS_READ),
    # -- network admin -----------------------------------------------------------------------
    page("/network/offices", network_admin.offices, roles=NETWORK),
    page("/network/offices/{code}", network_admin.office, roles=NETWORK),
    page("/network/terminals", network_admin.terminals, roles=NETWORK),
    page("/network/terminals", network_admin.create_terminal, roles=NETWORK, methods=("POST",)),
    page("/network/terminals/new", network_admin.new_terminal, roles=NETWORK),
    page("/network/terminals/{terminal_id:int}", network_admin.terminal, roles=NETWORK),
    page(
        "/network/terminals/{terminal_id:int}/suspend",
        network_admin.suspend_terminal,
        roles=NETWORK,
        methods=("POST",),
    ),
    page(
        "/network/terminals/{terminal_id:int}/reactivate",
        network_admin.reactivate_terminal,
        roles=NETWORK,
        methods=("POST",),
    ),
    page("/network/terminals/{terminal_id:int}/revoke", network_admin.revoke_form, roles=NETWORK),
    page(
        "/network/terminals/{terminal_id:int}/revoke",
        network_admin.revoke_terminal,
        roles=NETWORK,
        methods=("POST",),
    ),
    page(
        "/network/terminals/{terminal_id:int}/activation-code",
        network_admin.new_activation_code,
        roles=NETWORK,
        methods=("POST",),
    ),
    page("/network/staff", network_admin.staff, roles=NETWORK),
    page("/network/staff", network_admin.create_staff, roles=NETWORK, methods=("POST",)),
    page("/network/staff/new", network_admin.new_staff, roles=NETWORK),
    page("/network/staff/{username}", network_admin.staff_member, roles=NETWORK),
    page(
        "/network/staff/{username}/unlock",
        network_admin.unlock_staff,
        roles=NETWORK,
        methods=("POST",),
    ),
    page(
        "/network/staff/{username}/suspend",
        network_admin.suspend_staff,
        roles=NETWORK,
        methods=("POST",),
    ),
    page(
        "/network/staff/{username}/reactivate",
        network_admin.reactivate_staff,
        roles=NETWORK,
        methods=("POST",),
    ),
    page(
        "/network/staff/{username}/password",
        network_admin.set_password,
        roles=NETWORK,
        methods=("POST",),
    ),
    page("/network/security-events", auditor.security_events, roles=NETWORK),
    page("/network/drawer-closes", drawers.network_closes, roles=NETWORK),
    page("/deposits", deposits.day, roles=DEPOSITS_READ),
    page("/deposits/slips/{number}", deposits.slip, roles=DEPOSITS_READ),
    Mount("/static", StaticFiles(directory=HERE / "static"), name="back-office-static"),
]

NAVIGATION.extend(
    [
        NavItem("finance.nav.calendar", "/finance/calendar", FINANCE_READ),
        NavItem("finance.nav.exceptions", "/finance/exceptions", FINANCE_READ),
        NavItem("claims.nav", "/finance/tracking", FINANCE_READ),
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

NAVIGATION.extend(
    [
        NavItem("auditor.nav.log", "/audit/log", AUDIT),
        NavItem("auditor.nav.receipts", "/audit/receipts", AUDIT),
        NavItem("auditor.nav.events", "/audit/security-events", EVENTS_READ),
        NavItem("network.nav.offices", "/network/offices", NETWORK),
        NavItem("network.nav.terminals", "/network/terminals", NETWORK),
        NavItem("network.nav.staff", "/network/staff", NETWORK),
        NavItem("network.nav.settlements", "/finance/statements", NETWORK),
        NavItem("network.nav.drawers", "/network/drawer-closes", NETWORK),
        NavItem("deposits.nav", "/deposits", DEPOSITS_READ),
        NavItem("network.nav.events", "/network/security-events", NETWORK),
    ]
)
