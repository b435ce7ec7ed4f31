"""HTTP conventions every client relies on: one error body, request ids, size caps, strict
input, the operational endpoints, and an OpenAPI document that describes every endpoint."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from agent_api.http.app import create_app
from agent_api.observability import JsonFormatter
from agent_api.settings import Settings
from tests.integration.conftest import PASSWORD, World

NETWORK = {
    "code": "DAMANE",
    "name": "Damane Cash",
    "commission_fixed_centimes": 250,
    "commission_bps": 25,
    "settlement_account": "022780000000000000123458",
}


def _post_network(world: World, json: object = None, content: bytes | None = None) -> Response:
    headers = {**world.auth("cnss.admin"), "content-type": "application/json"}
    return world.client.post("/v1/admin/networks", headers=headers, json=json, content=content)


def _error(response: Response) -> dict[str, str]:
    error: dict[str, str] = response.json()["error"]
    return error


def test_every_response_carries_a_request_id_and_echoes_a_clients(world: World) -> None:
    generated = world.client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = world.client.get("/healthz", headers={"X-Request-ID": "counter-42-req-0001"})
    assert echoed.headers["x-request-id"] == "counter-42-req-0001"
    hostile = world.client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


@pytest.mark.parametrize(
    ("field", "value", "message_part"),
    [
        ("code", "cashplus", "network code"),
        ("code", "A", "network code"),
        ("commission_bps", 10_001, "less than or equal"),
        ("commission_bps", "25", "integer"),
        ("commission_fixed_centimes", -1, "greater than or equal"),
        ("commission_fixed_centimes", 2.5, "integer"),
        ("settlement_account", "022780000000000000123400", "RIB"),
        ("name", "   ", "at least 1"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_written(
    world: World, field: str, value: object, message_part: str
) -> None:
    response = _post_network(world, json={**NETWORK, field: value})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_failed"
    assert error["field"] == field
    assert message_part in error["message"]
    listed = world.client.get("/v1/admin/networks", headers=world.auth("cnss.admin")).json()
    assert "DAMANE" not in {n["code"] for n in listed["items"]}


def test_unknown_fields_are_refused(world: World) -> None:
    response = _post_network(world, json={**NETWORK, "status": "suspended"})
    assert response.status_code == 422
    assert _error(response) == {
        "code": "validation_failed",
        "message": "status: unknown field",
        "field": "status",
    }


def test_missing_field_is_named(world: World) -> None:
    body = {k: v for k, v in NETWORK.items() if k != "name"}
    response = _post_network(world, json=body)
    assert _error(response)["field"] == "name"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b'"a string"'])
def test_malformed_bodies_get_400(world: World, raw: bytes) -> None:
    response = _post_network(world, content=raw)
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_request"


def test_oversize_body_gets_413_and_nothing_is_written(world: World) -> None:
    cap = world.services.settings.max_body_bytes
    body = {**NETWORK, "name": "x" * (cap + 10)}
    response = _post_network(world, json=body)
    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"


def test_oversize_streamed_body_without_length_gets_413(world: World) -> None:
    cap = world.services.settings.max_body_bytes

    def chunks() -> object:
        for _ in range(cap // 1000 + 2):
            yield b" " * 1000

    response = world.client.post(
        "/v1/admin/networks",
        headers=world.auth("cnss.admin"),
        content=chunks(),  # type: ignore[arg-type]
    )
    assert response.status_code == 413


def test_unknown_reference_is_a_404_naming_the_field(world: World) -> None:
    response = world.client.post(
        "/v1/admin/offices",
        headers=world.auth("cnss.admin"),
        json={"code": "XX-01", "network": "NOSUCH", "name": "n", "city": "c", "region": "r"},
    )
    assert response.status_code == 404
    assert _error(response)["field"] == "network"


def test_unknown_route_and_wrong_method_use_the_error_body(world: World) -> None:
    missing = world.client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert _error(missing)["code"] == "not_found"
    wrong = world.client.patch("/v1/admin/networks")
    assert wrong.status_code == 405
    assert _error(wrong)["code"] == "method_not_allowed"


def test_bad_query_parameters_are_refused(world: World) -> None:
    response = world.client.get("/v1/admin/offices?limit=0", headers=world.auth("cnss.admin"))
    assert response.status_code == 422
    assert _error(response)["field"] == "limit"
    unknown = world.client.get("/v1/admin/offices?colour=red", headers=world.auth("cnss.admin"))
    assert _error(unknown)["field"] == "colour"


def test_health_and_readiness(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}
    assert world.client.get("/readyz").json() == {"status": "ready"}


def test_readiness_fails_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = replace(settings, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with TestClient(create_app(broken)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "unavailable"
        assert response.headers["retry-after"]


def test_metrics_count_requests_by_route_template_and_refusals_by_code(world: World) -> None:
    world.client.get("/v1/admin/networks/NOSUCH", headers=world.auth("cnss.admin"))
    text = world.client.get("/metrics").text
    assert (
        'qurb_http_requests_total{method="GET",route="/v1/admin/networks/{code}",status="404"}'
        in text
    )
    assert 'qurb_refusals_total{code="not_found"}' in text


def test_openapi_describes_every_endpoint_with_its_schemas(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for endpoint in world.client.app.state.endpoints:  # type: ignore[attr-defined]
        operation = document["paths"][endpoint.template][endpoint.method.lower()]
        if endpoint.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
        success = operation["responses"][str(endpoint.status)]
        if endpoint.response is not None:
            ref = success["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    network_in = document["components"]["schemas"]["NetworkIn"]
    assert network_in["additionalProperties"] is False


def test_log_lines_carry_the_request_id_and_never_the_password(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    response = world.client.post(
        "/v1/admin/sessions",
        json={"username": "cnss.admin", "password": PASSWORD},
        headers={"X-Request-ID": "trace-me-0001"},
    )
    assert response.status_code == 201
    lines = [formatter.format(record) for record in caplog.records]
    access = [json.loads(line) for line in lines if '"http_request"' in line]
    assert access[-1]["request_id"] == "trace-me-0001"
    assert access[-1]["route"] == "/v1/admin/sessions"
    assert all(PASSWORD not in line for line in lines)
    assert all(response.json()["token"] not in line for line in lines)
