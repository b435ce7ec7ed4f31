"""The back-office API: what CNSS and network admins do with the registry."""

from __future__ import annotations

from tests.integration.conftest import PASSWORD, World


def test_cnss_admin_creates_a_network_and_reads_it_back(world: World) -> None:
    response = world.client.post(
        "/v1/admin/networks",
        headers=world.auth("cnss.admin"),
        json={
            "code": "DAMANE",
            "name": "Damane Cash",
            "commission_fixed_centimes": 250,
            "commission_bps": 25,
            "settlement_account": "022780000000000000123458",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["code"] == "DAMANE"
    assert created["status"] == "active"
    read = world.client.get("/v1/admin/networks/DAMANE", headers=world.auth("cnss.admin"))
    assert read.json() == created


def test_network_admin_creates_an_office_terminal_and_operator_in_its_own_network(
    world: World,
) -> None:
    headers = world.auth("admin.cashplus")
    office = world.client.post(
        "/v1/admin/offices",
        headers=headers,
        json={
            "code": "CA-03",
            "network": "CASHPLUS",
            "name": "Cash Plus Agadir",
            "city": "Agadir",
            "region": "Souss-Massa",
        },
    )
    assert office.status_code == 201, office.text
    terminal = world.client.post(
        "/v1/admin/terminals", headers=headers, json={"office": "CA-03", "label": "Guichet 1"}
    )
    assert terminal.status_code == 201, terminal.text
    body = terminal.json()
    assert body["terminal"]["status"] == "pending"
    assert body["activation_code"].startswith(f"{body['terminal']['id']}-")
    user = world.client.post(
        "/v1/admin/users",
        headers=headers,
        json={
            "username": "op.ca-03",
            "full_name": "Salma Operator",
            "role": "operator",
            "password": "a long enough password",
            "office": "CA-03",
        },
    )
    assert user.status_code == 201, user.text
    assert user.json()["network"] == "CASHPLUS"
    assert "password" not in user.json()


def test_activation_code_is_shown_once_and_never_readable_again(world: World) -> None:
    terminal_id = world.terminal_ids["CA-01"]
    read = world.client.get(f"/v1/admin/terminals/{terminal_id}", headers=world.auth("cnss.admin"))
    assert read.status_code == 200
    assert "activation_code" not in read.json()
    assert world.activation_codes["CA-01"] not in read.text


def test_new_activation_code_replaces_the_old_one_for_a_pending_terminal(world: World) -> None:
    terminal_id = world.terminal_ids["CA-01"]
    response = world.client.post(
        f"/v1/admin/terminals/{terminal_id}/activation-code", headers=world.auth("admin.cashplus")
    )
    assert response.status_code == 201
    assert response.json()["activation_code"] != world.activation_codes["CA-01"]


def test_revoked_terminal_cannot_be_reactivated_or_given_a_code(world: World) -> None:
    terminal_id = world.terminal_ids["CA-01"]
    headers = world.auth("admin.cashplus")
    revoked = world.client.post(f"/v1/admin/terminals/{terminal_id}/revoke", headers=headers)
    assert revoked.json()["status"] == "revoked"
    again = world.client.post(f"/v1/admin/terminals/{terminal_id}/reactivate", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "terminal_revoked"
    code = world.client.post(f"/v1/admin/terminals/{terminal_id}/activation-code", headers=headers)
    assert code.json()["error"]["code"] == "terminal_not_pending"


def test_suspended_network_refuses_new_offices_and_its_admin_cannot_sign_in(world: World) -> None:
    suspended = world.client.post(
        "/v1/admin/networks/WAFACASH/suspend", headers=world.auth("cnss.admin")
    )
    assert suspended.json()["status"] == "suspended"
    office = world.client.post(
        "/v1/admin/offices",
        headers=world.auth("cnss.admin"),
        json={"code": "WA-09", "network": "WAFACASH", "name": "x", "city": "Fès", "region": "r"},
    )
    assert office.status_code == 409
    assert office.json()["error"]["code"] == "network_suspended"
    sign_in = world.client.post(
        "/v1/admin/sessions", json={"username": "admin.wafacash", "password": PASSWORD}
    )
    assert sign_in.status_code == 403
    assert sign_in.json()["error"]["code"] == "network_suspended"


def test_suspended_office_refuses_new_terminals_and_users(world: World) -> None:
    headers = world.auth("admin.cashplus")
    world.client.post("/v1/admin/offices/CA-02/suspend", headers=headers)
    terminal = world.client.post(
        "/v1/admin/terminals", headers=headers, json={"office": "CA-02", "label": "Guichet 2"}
    )
    assert terminal.json()["error"]["code"] == "office_suspended"
    user = world.client.post(
        "/v1/admin/users",
        headers=headers,
        json={
            "username": "op.new",
            "full_name": "New",
            "role": "operator",
            "password": "a long enough password",
            "office": "CA-02",
        },
    )
    assert user.json()["error"]["code"] == "office_suspended"


def test_listing_offices_filters_by_city(world: World) -> None:
    response = world.client.get(
        "/v1/admin/offices", params={"city": "Fès"}, headers=world.auth("cnss.auditor")
    )
    assert response.status_code == 200
    assert sorted(o["code"] for o in response.json()["items"]) == ["CA-02", "WA-02"]


def test_duplicate_codes_are_refused_naming_the_field(world: World) -> None:
    headers = world.auth("cnss.admin")
    office = world.client.post(
        "/v1/admin/offices",
        headers=headers,
        json={"code": "CA-01", "network": "CASHPLUS", "name": "x", "city": "y", "region": "z"},
    )
    assert office.status_code == 409
    assert office.json()["error"] == {
        "code": "already_exists",
        "message": "office 'CA-01' already exists",
        "field": "code",
    }
    user = world.client.post(
        "/v1/admin/users",
        headers=headers,
        json={
            "username": "op.ca-01",
            "full_name": "Dup",
            "role": "operator",
            "password": "a long enough password",
            "office": "CA-01",
        },
    )
    assert user.status_code == 409
    assert user.json()["error"]["field"] == "username"


def test_retried_terminal_creation_cannot_make_a_second_terminal(world: World) -> None:
    headers = world.auth("admin.cashplus")
    body = {"office": "CA-01", "label": "Guichet 2"}
    first = world.client.post("/v1/admin/terminals", headers=headers, json=body)
    retry = world.client.post("/v1/admin/terminals", headers=headers, json=body)
    assert first.status_code == 201
    assert retry.status_code == 409
    listed = world.client.get(
        "/v1/admin/terminals", params={"office": "CA-01"}, headers=headers
    ).json()["items"]
    assert [t["label"] for t in listed] == ["Guichet 1", "Guichet 2"]
