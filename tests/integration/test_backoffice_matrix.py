"""Who may open and post to every back-office page: the authorization matrix.

Every route of ``qurb.backoffice.routes.ROUTES`` (the one list the app mounts, so a new page
cannot be left out) must have its row in ``MATRIX``: the roles that may use it, what such a
role gets, and, for a network's own object, the object of network A (CASHPLUS) and of network
B (WAFACASH). Each row is then tried by every kind of caller — the CNSS admin, the network
admins of A and of B, finance, the auditor, someone not signed in — with GET or POST, with
and without the form's CSRF token, on its own network's object and on the other's:

- not signed in: sent to sign in (303 to ``/back-office/sign-in``), whatever the method;
- a role the row does not name: 403, before anything is read or written;
- a POST without its CSRF token, even from a role that may: 403, nothing done;
- a network admin on another network's object: 404, as the API answers (it must not even
  learn that the object exists);
- a role the row names: the row's status.

Counter staff cannot sign in at all (the back office is not their door).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from starlette.routing import BaseRoute, Mount, Route

from agent_api.domain.roles import Role
from qurb.backoffice.routes import ROUTES
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice

CNSS = Role.CNSS_ADMIN
FIN = Role.FINANCE
AUD = Role.AUDITOR
NET = Role.NETWORK_ADMIN
ANYONE = frozenset({CNSS, FIN, AUD, NET})
NATIONAL = frozenset({CNSS, FIN, AUD})
PUBLIC = frozenset[Role]()  # no session needed (sign-in, static files)

# Who signs in as what. A network admin's own network is A (CASHPLUS) or B (WAFACASH).
# The CNSS admin comes last: its allowed writes (suspending network B) would otherwise shut
# the others out before their turn.
CALLERS = {
    "cnss.finance": FIN,
    "cnss.auditor": AUD,
    "admin.cashplus": NET,
    "admin.wafacash": NET,
    "cnss.admin": CNSS,
}
NETWORK_OF = {"admin.cashplus": "a", "admin.wafacash": "b"}


@dataclass(frozen=True)
class Row:
    """A route's expected answers. ``roles``: who may (``PUBLIC``: anyone, signed in or not);
    ``ok``: what they get; ``a``/``b``: the concrete path on network A's and on network B's
    object (``{ta}``/``{tb}``: a terminal of each), ``b`` empty when the page names no
    network's object; ``data``: the form an allowed POST sends (with its CSRF token)."""

    roles: frozenset[Role]
    ok: int
    a: str = ""
    b: str = ""
    data: dict[str, str] = field(default_factory=dict)


TERMINAL_A = "/network/terminals/{ta}"
TERMINAL_B = "/network/terminals/{tb}"

MATRIX: dict[tuple[str, str], Row] = {
    # -- account ------------------------------------------------------------------------------
    ("GET", "/sign-in"): Row(PUBLIC, 200),
    ("POST", "/sign-in"): Row(PUBLIC, 401, data={"username": "nobody", "password": "x"}),
    ("POST", "/sign-out"): Row(ANYONE, 303),
    ("GET", "/"): Row(ANYONE, 200),
    ("GET", "/static"): Row(PUBLIC, 200, "/static/app.css"),
    # -- AMO reimbursement files (a network admin its own network: test_backoffice_deposits) --
    ("GET", "/deposits"): Row(frozenset({NET, FIN, CNSS}), 200),
    ("GET", "/deposits/slips/{number}"): Row(
        frozenset({NET, FIN, CNSS}), 404, "/deposits/slips/B-CASHPLUS-000001"
    ),
    # -- finance ------------------------------------------------------------------------------
    ("GET", "/finance/calendar"): Row(NATIONAL, 200),
    ("GET", "/finance/days/{day}"): Row(NATIONAL, 404, "/finance/days/2026-01-05"),
    ("GET", "/finance/days/{day}/report.csv"): Row(
        NATIONAL, 404, "/finance/days/2026-01-05/report.csv"
    ),
    ("GET", "/finance/days/{day}/report.xlsx"): Row(
        NATIONAL, 404, "/finance/days/2026-01-05/report.xlsx"
    ),
    ("GET", "/finance/exceptions"): Row(NATIONAL, 200),
    ("GET", "/finance/exceptions/{exception_id:int}"): Row(NATIONAL, 404, "/finance/exceptions/1"),
    ("POST", "/finance/exceptions/work"): Row(frozenset({FIN}), 422),
    ("GET", "/finance/tracking"): Row(NATIONAL, 200),
    ("GET", "/finance/tracking/{exception_id:int}"): Row(NATIONAL, 404, "/finance/tracking/1"),
    # No exception 1 in the matrix's world: 404, nothing written.
    ("POST", "/finance/tracking/{exception_id:int}/work"): Row(
        frozenset({FIN}), 404, "/finance/tracking/1/work"
    ),
    ("GET", "/finance/uploads"): Row(frozenset({FIN}), 200),
    ("POST", "/finance/uploads"): Row(frozenset({FIN}), 422),
    ("GET", "/finance/statements"): Row(ANYONE, 200),
    ("GET", "/finance/statements/{reference}.{format}"): Row(
        ANYONE, 404, "/finance/statements/STL-2026-01-05-CASHPLUS-1.csv"
    ),
    ("GET", "/finance/statements/{reference}"): Row(
        ANYONE, 404, "/finance/statements/STL-2026-01-05-CASHPLUS-1"
    ),
    # -- CNSS administration ------------------------------------------------------------------
    ("GET", "/cnss/networks"): Row(NATIONAL, 200),
    ("POST", "/cnss/networks"): Row(frozenset({CNSS}), 422),
    ("GET", "/cnss/networks/{code}"): Row(NATIONAL, 200, "/cnss/networks/CASHPLUS"),
    # An empty form: the first day is missing (422, nothing written).
    ("POST", "/cnss/networks/{code}/commission"): Row(
        frozenset({CNSS}), 422, "/cnss/networks/CASHPLUS/commission"
    ),
    # An empty form: the first day of the fee is missing (422, nothing written).
    ("POST", "/cnss/networks/{code}/file-fee"): Row(
        frozenset({CNSS}), 422, "/cnss/networks/CASHPLUS/file-fee"
    ),
    ("POST", "/cnss/networks/{code}/suspend"): Row(
        frozenset({CNSS}), 303, "/cnss/networks/WAFACASH/suspend"
    ),
    ("POST", "/cnss/networks/{code}/reactivate"): Row(
        frozenset({CNSS}), 303, "/cnss/networks/CASHPLUS/reactivate"
    ),
    ("GET", "/cnss/tariff"): Row(NATIONAL, 200),
    ("POST", "/cnss/tariff/rates"): Row(frozenset({CNSS}), 422),
    ("POST", "/cnss/tariff/categories"): Row(frozenset({CNSS}), 422),
    ("POST", "/cnss/tariff/brackets"): Row(frozenset({CNSS}), 422),
    ("GET", "/cnss/waivers"): Row(NATIONAL, 200),
    ("POST", "/cnss/waivers"): Row(frozenset({CNSS}), 422),
    ("GET", "/cnss/offices"): Row(NATIONAL, 200),
    ("GET", "/cnss/terminals"): Row(NATIONAL, 200),
    ("GET", "/cnss/users"): Row(NATIONAL, 200),
    # -- auditor ------------------------------------------------------------------------------
    ("GET", "/audit/log"): Row(frozenset({AUD}), 200),
    ("GET", "/audit/receipts"): Row(frozenset({AUD}), 200),
    # Checking a receipt's QR image: a POST that reads (no image sent here: 422).
    ("POST", "/audit/receipts"): Row(frozenset({AUD}), 422),
    ("GET", "/audit/security-events"): Row(frozenset({AUD, CNSS}), 200),
    # -- network admin ------------------------------------------------------------------------
    ("GET", "/network/offices"): Row(frozenset({NET}), 200),
    ("GET", "/network/offices/{code}"): Row(
        frozenset({NET}), 200, "/network/offices/CA-01", "/network/offices/WA-01"
    ),
    ("GET", "/network/terminals"): Row(frozenset({NET}), 200),
    ("POST", "/network/terminals"): Row(frozenset({NET}), 422),
    ("GET", "/network/terminals/new"): Row(frozenset({NET}), 200),
    ("GET", "/network/terminals/{terminal_id:int}"): Row(
        frozenset({NET}), 200, TERMINAL_A, TERMINAL_B
    ),
    ("POST", "/network/terminals/{terminal_id:int}/suspend"): Row(
        frozenset({NET}), 303, TERMINAL_A + "/suspend", TERMINAL_B + "/suspend"
    ),
    ("POST", "/network/terminals/{terminal_id:int}/reactivate"): Row(
        frozenset({NET}), 303, TERMINAL_A + "/reactivate", TERMINAL_B + "/reactivate"
    ),
    ("GET", "/network/terminals/{terminal_id:int}/revoke"): Row(
        frozenset({NET}), 200, TERMINAL_A + "/revoke", TERMINAL_B + "/revoke"
    ),
    ("POST", "/network/terminals/{terminal_id:int}/revoke"): Row(
        frozenset({NET}),
        303,
        TERMINAL_A + "/revoke",
        TERMINAL_B + "/revoke",
        data={"confirm": "yes"},
    ),
    ("POST", "/network/terminals/{terminal_id:int}/activation-code"): Row(
        frozenset({NET}), 200, TERMINAL_A + "/activation-code", TERMINAL_B + "/activation-code"
    ),
    ("GET", "/network/staff"): Row(frozenset({NET}), 200),
    ("POST", "/network/staff"): Row(frozenset({NET}), 422),
    ("GET", "/network/staff/new"): Row(frozenset({NET}), 200),
    ("GET", "/network/staff/{username}"): Row(
        frozenset({NET}), 200, "/network/staff/op.ca-01", "/network/staff/op.wa-01"
    ),
    ("POST", "/network/staff/{username}/unlock"): Row(
        frozenset({NET}), 303, "/network/staff/op.ca-01/unlock", "/network/staff/op.wa-01/unlock"
    ),
    ("POST", "/network/staff/{username}/suspend"): Row(
        frozenset({NET}),
        303,
        "/network/staff/op.ca-01/suspend",
        "/network/staff/op.wa-01/suspend",
    ),
    ("POST", "/network/staff/{username}/reactivate"): Row(
        frozenset({NET}),
        303,
        "/network/staff/op.ca-01/reactivate",
        "/network/staff/op.wa-01/reactivate",
    ),
    ("POST", "/network/staff/{username}/password"): Row(
        frozenset({NET}),
        422,
        "/network/staff/op.ca-01/password",
        "/network/staff/op.wa-01/password",
    ),
    ("GET", "/network/security-events"): Row(frozenset({NET}), 200),
    ("GET", "/network/drawer-closes"): Row(frozenset({NET}), 200),
}


def _routes(routes: list[BaseRoute]) -> list[tuple[str, str]]:
    """Every (method, path) the back office answers, as the app mounts them."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            found += [(m, route.path) for m in sorted((route.methods or set()) - {"HEAD"})]
        elif isinstance(route, Mount):
            found.append(("GET", route.path))
    return found


ALL = _routes(ROUTES)


def test_every_route_has_its_row_in_the_matrix_and_every_row_a_route() -> None:
    assert [r for r in ALL if r not in MATRIX] == []
    assert [r for r in MATRIX if r not in ALL] == []


@dataclass
class Tally:
    """What each caller got, and what was expected, for the failure's message."""

    wrong: list[str] = field(default_factory=list)
    tried: int = 0

    def check(self, who: str, what: str, got: int, expected: int, location: str = "") -> None:
        self.tried += 1
        if got != expected:
            self.wrong.append(f"{who} {what}: {got} (expected {expected}) {location}".strip())


def _concrete(path: str, world: World) -> str:
    return path.format(ta=world.terminal_ids["CA-01"], tb=world.terminal_ids["WA-01"])


def _call(
    office: BackOffice, method: str, path: str, data: dict[str, str], *, token: bool, page: str
) -> tuple[int, str]:
    if method == "GET":
        answer = office.get(path)
    elif token:
        answer = office.form_post(page, path, data)
    else:
        answer = office.post(path, data)
    return answer.status_code, answer.headers.get("location", "")


@pytest.mark.parametrize(("method", "path"), ALL, ids=[f"{m} {p}" for m, p in ALL])
def test_each_caller_gets_what_the_matrix_says(world: World, method: str, path: str) -> None:
    row = MATRIX.get((method, path))
    assert row is not None, f"{method} {path} has no row in MATRIX: say who may use it"
    tally = Tally()
    a = _concrete(row.a or path, world)
    b = _concrete(row.b, world) if row.b else ""
    # A page with a form to take the CSRF token from, which every role may open.
    form_page = "/sign-in" if row.roles == PUBLIC else "/"

    anonymous = BackOffice(world)
    for target in filter(None, (a, b)):
        got, location = _call(anonymous, method, target, row.data, token=False, page=form_page)
        if row.roles == PUBLIC:
            expected = row.ok if method == "GET" else 403  # the sign-in form's own token
            tally.check("anonymous", f"{method} {target}", got, expected)
        else:
            tally.check("anonymous", f"{method} {target}", got, 303, location)
            if location != "/back-office/sign-in":
                tally.wrong.append(f"anonymous {method} {target}: sent to {location!r}")

    for username, role in CALLERS.items():
        office = BackOffice(world)
        assert office.sign_in(username).status_code == 303
        allowed = row.roles == PUBLIC or role in row.roles
        own, other = (a, b) if NETWORK_OF.get(username, "a") == "a" else (b, a)
        if role != NET or not b:
            own, other = a, ""  # a national caller, or a page of no network's object
        if method == "POST":
            # Without the CSRF token: refused before anything, whoever asks.
            for target in filter(None, (own, other)):
                got, _ = _call(office, method, target, row.data, token=False, page=form_page)
                tally.check(username, f"POST {target} without CSRF", got, 403)
        if not allowed:
            for target in filter(None, (own, other)):
                got, _ = _call(office, method, target, row.data, token=True, page=form_page)
                tally.check(username, f"{method} {target}", got, 403)
            continue
        if other:
            got, _ = _call(office, method, other, row.data, token=True, page=form_page)
            tally.check(username, f"{method} {other} (another network's)", got, 404)
        got, _ = _call(office, method, own, row.data, token=True, page=form_page)
        tally.check(username, f"{method} {own}", got, row.ok)

    assert tally.wrong == [], "\n".join(tally.wrong)


@pytest.mark.parametrize("username", ["op.ca-01", "sup.wa-01"])
def test_counter_staff_are_refused_at_the_back_office_door(world: World, username: str) -> None:
    office = BackOffice(world)
    refused = office.sign_in(username)
    assert refused.status_code == 401
    assert "qurb_back_office=" not in refused.headers.get("set-cookie", "")
    assert office.get("/").status_code == 303
