"""The network administrator's screens: its own network only (another network's office,
terminal or user is a 404 as on the API), a terminal's activation code shown once, the
terminal and staff actions through the API's services, every form behind its CSRF token."""

from __future__ import annotations

import re

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.registry import TerminalStatus
from agent_api.domain.roles import Role
from tests.integration.conftest import PASSWORD, World
from tests.support.backoffice import BackOffice

_CODE = re.compile(r'id="activation-code">([^<]+)<')


def _admin(world: World, username: str = "admin.cashplus") -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in(username).status_code == 303
    return office


def test_a_network_admin_lists_and_opens_only_its_own_offices(world: World) -> None:
    office = _admin(world)
    listed = office.get("/network/offices")
    assert listed.status_code == 200
    assert "CA-01" in listed.text
    assert "WA-01" not in listed.text
    fes = office.get("/network/offices", params={"city": "Fès"})
    assert "CA-02" in fes.text
    assert "CA-01" not in fes.text
    detail = office.get("/network/offices/CA-01")
    assert detail.status_code == 200
    assert "op.ca-01" in detail.text
    assert "Guichet 1" in detail.text


def test_another_networks_office_terminal_and_user_are_not_found(world: World) -> None:
    office = _admin(world)
    for path in (
        "/network/offices/WA-01",
        f"/network/terminals/{world.terminal_ids['WA-01']}",
        "/network/staff/op.wa-01",
    ):
        answer = office.get(path)
        assert answer.status_code == 404, path
        assert "WA-01" not in answer.text.replace("/network/offices/WA-01", "")
    suspended = office.form_post(
        "/network/terminals",
        f"/network/terminals/{world.terminal_ids['WA-01']}/suspend",
        {},
    )
    assert suspended.status_code == 404
    assert world.services.terminals.get(SYSTEM_ACTOR, world.terminal_ids["WA-01"]).status == (
        TerminalStatus.PENDING
    )


def test_a_new_terminal_shows_its_activation_code_once(world: World) -> None:
    office = _admin(world)
    created = office.form_post(
        "/network/terminals/new", "/network/terminals", {"office": "CA-01", "label": "Guichet 2"}
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = _CODE.search(created.text)
    assert found is not None
    code = found.group(1)
    assert "ne sera plus jamais affiché" in created.text.replace("&#39;", "'")
    terminal_id = int(code.split("-")[0])
    detail = office.get(f"/network/terminals/{terminal_id}")
    assert detail.status_code == 200
    assert code not in detail.text
    assert "en attente d&#39;activation" in detail.text
    assert code not in office.get("/network/terminals").text
    again = office.form_post(
        "/network/terminals/new", "/network/terminals", {"office": "CA-01", "label": "Guichet 2"}
    )
    assert again.status_code == 409
    assert code not in again.text


def test_a_terminal_for_another_networks_office_is_refused_and_nothing_is_created(
    world: World,
) -> None:
    office = _admin(world)
    refused = office.form_post(
        "/network/terminals/new", "/network/terminals", {"office": "WA-01", "label": "Intrus"}
    )
    assert refused.status_code == 404
    assert 'value="WA-01"' in refused.text  # the form again, with what was typed
    assert all(
        t.label != "Intrus"
        for t in world.services.terminals.list(
            SYSTEM_ACTOR, office="WA-01", status=None, limit=50, offset=0
        )
    )


def test_a_pending_terminal_gets_a_new_code_and_the_old_one_dies(world: World) -> None:
    office = _admin(world)
    terminal_id = world.terminal_ids["CA-02"]
    renewed = office.form_post(
        f"/network/terminals/{terminal_id}",
        f"/network/terminals/{terminal_id}/activation-code",
        {},
    )
    assert renewed.status_code == 200
    found = _CODE.search(renewed.text)
    assert found is not None
    assert found.group(1) != world.activation_codes["CA-02"]
    assert "l&#39;ancien ne fonctionne plus" in renewed.text


def test_suspend_reactivate_and_revoke_with_confirmation(world: World) -> None:
    office = _admin(world)
    terminal_id = world.terminal_ids["CA-02"]
    page = f"/network/terminals/{terminal_id}"
    suspended = office.form_post(page, f"{page}/suspend", {})
    assert suspended.status_code == 303
    assert "C&#39;est suspendu." in office.get(suspended.headers["location"][12:]).text
    office.form_post(page, f"{page}/reactivate", {})
    unconfirmed = office.form_post(f"{page}/revoke", f"{page}/revoke", {})
    assert unconfirmed.status_code == 422
    assert "Cochez la case" in unconfirmed.text
    assert office.get(page).text.count("révoqué") == 0
    revoked = office.form_post(f"{page}/revoke", f"{page}/revoke", {"confirm": "yes"})
    assert revoked.status_code == 303
    after = office.get(revoked.headers["location"][12:]).text
    assert "Le terminal est révoqué." in after
    assert f"{page}/suspend" not in after  # nothing left to do with it


def test_a_write_without_its_csrf_token_is_refused(world: World) -> None:
    office = _admin(world)
    terminal_id = world.terminal_ids["CA-02"]
    refused = office.post(f"/network/terminals/{terminal_id}/suspend", {})
    assert refused.status_code == 403
    assert "Le formulaire a expiré" in refused.text
    view = world.services.terminals.get(SYSTEM_ACTOR, terminal_id)
    assert view.status == TerminalStatus.PENDING


def test_counter_staff_are_created_unlocked_reset_and_suspended(world: World) -> None:
    office = _admin(world)
    created = office.form_post(
        "/network/staff/new",
        "/network/staff",
        {
            "username": "op2.ca-01",
            "full_name": "Second Operator",
            "role": "operator",
            "office": "CA-01",
            "password": PASSWORD,
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/back-office/network/staff/op2.ca-01?done=created"
    page = "/network/staff/op2.ca-01"
    assert "Second Operator" in office.get(page).text
    short = office.form_post(page, f"{page}/password", {"password": "short"})
    assert short.status_code == 422
    assert "short" not in short.text.replace("short_", "")
    reset = office.form_post(page, f"{page}/password", {"password": "another long password"})
    assert reset.status_code == 303
    assert "Le mot de passe est changé" in office.get(reset.headers["location"][12:]).text
    assert office.form_post(page, f"{page}/unlock", {}).status_code == 303
    assert office.form_post(page, f"{page}/suspend", {}).status_code == 303
    view = world.services.users.get(SYSTEM_ACTOR, "op2.ca-01")
    assert view.status == "suspended"


def test_a_network_admin_cannot_create_a_back_office_account(world: World) -> None:
    office = _admin(world)
    refused = office.form_post(
        "/network/staff/new",
        "/network/staff",
        {
            "username": "sneaky",
            "full_name": "Sneaky",
            "role": Role.AUDITOR.value,
            "office": "CA-01",
            "password": PASSWORD,
        },
    )
    assert refused.status_code == 422
    assert 'value="sneaky"' in refused.text
    assert PASSWORD not in refused.text


def test_a_network_admin_reads_its_own_settlements_only(world: World) -> None:
    office = _admin(world)
    assert office.get("/finance/statements").status_code == 200
    assert office.get("/finance/exceptions").status_code == 403


def test_other_roles_cannot_open_the_network_screens(world: World) -> None:
    auditor = BackOffice(world)
    auditor.sign_in("cnss.auditor")
    assert auditor.get("/network/terminals").status_code == 403
