"""The OpenAPI 3.1 document, generated from the endpoint specifications and their schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from agent_api.http.endpoints import Endpoint
from agent_api.http.schemas.common import INT32_MAX, ErrorBody

_ERRORS = {
    400: "Malformed request (not JSON, bad signature header, digest mismatch)",
    401: "Missing, invalid or expired credentials",
    403: "The caller's role may not do this",
    404: "Not found, or outside the caller's scope",
    409: "Conflicts with the stored state, or the same sequence number is in flight",
    413: "Body too large",
    422: "A field or path parameter is invalid (the error names it), or a sequence number "
    "was reused",
    423: "Account locked after repeated failed sign-ins",
    429: "Too many failed attempts from this terminal",
    503: "Database unavailable; safe to retry",
}


def build(endpoints: Sequence[Endpoint], *, title: str, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for e in endpoints:
        models.update(m for m in (e.body, e.response) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if _is_input(m, endpoints) else "serialization") for m in ordered
    ]
    refs, definitions = models_json_schema(
        modes,
        ref_template="#/components/schemas/{model}",
    )
    schemas = definitions.get("$defs", {})

    def ref(model: type[BaseModel]) -> dict[str, Any]:
        mode: JsonSchemaMode = "validation" if _is_input(model, endpoints) else "serialization"
        return dict(refs[(model, mode)])

    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        operation: dict[str, Any] = {
            "summary": e.summary,
            "operationId": _operation_id(e),
            "tags": list(e.tags),
            "parameters": _path_parameters(e) + _query_parameters(e),
            "responses": {},
        }
        operation["description"] = _describe(e)
        if e.auth in ("admin", "operator"):
            operation["security"] = [{"bearer": []}]
        if e.signed:
            operation["parameters"] += _signature_headers(e)
        if e.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(e.body)}},
            }
        success: dict[str, Any] = {"description": "Success"}
        if e.response is not None:
            success["content"] = {"application/json": {"schema": ref(e.response)}}
        operation["responses"][str(e.status)] = success
        for status in _error_statuses(e):
            operation["responses"][str(status)] = {
                "description": _ERRORS[status],
                "content": {"application/json": {"schema": ref(ErrorBody)}},
            }
        paths.setdefault(e.template, {})[e.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _describe(e: Endpoint) -> str:
    parts = []
    if e.signed:
        parts.append(
            "Signed by a terminal key (RFC 9421, label qurb; see docs/protocol.md)"
            + (": the key registered by this very request." if e.auth == "activation" else ".")
        )
    if e.auth in ("admin", "operator"):
        roles = ", ".join(sorted(r.value for r in e.roles))
        parts.append(f"Roles: {roles}. Limited to the caller's own office or network.")
    return " ".join(parts)


def _signature_headers(e: Endpoint) -> list[dict[str, Any]]:
    write = e.method in ("POST", "PUT", "PATCH", "DELETE")
    headers = [
        ("Signature-Input", "RFC 9421 signature parameters (label qurb)", True),
        ("Signature", "RFC 9421 signature (label qurb)", True),
    ]
    if e.body is not None:
        headers.append(("Content-Digest", "RFC 9530 sha-256 digest of the body", True))
    if write:
        headers.append(
            ("Idempotency-Key", "the terminal's sequence number (positive integer)", True)
        )
    if e.auth == "operator":
        headers.append(
            (
                "Qurb-Token-Digest",
                "sha-256 digest of the Authorization value, signed in the token's place",
                True,
            )
        )
    if write:
        headers.append(("Qurb-Offline", "1 on a write queued while offline (signed)", False))
    return [
        {
            "name": name,
            "in": "header",
            "required": required,
            "description": text,
            "schema": {"type": "string"},
        }
        for name, text, required in headers
    ]


def _is_input(model: type[BaseModel], endpoints: Sequence[Endpoint]) -> bool:
    return any(e.body is model for e in endpoints)


def _operation_id(e: Endpoint) -> str:
    return re.sub(r"[^a-z0-9]+", "_", e.summary.lower()).strip("_")


def _path_parameters(e: Endpoint) -> list[dict[str, Any]]:
    params = []
    for name, convertor in re.findall(r"\{(\w+)(?::(\w+))?\}", e.path):
        # Ids are 32-bit: a larger one names nothing (io.path_value answers 404).
        schema = (
            {"type": "integer", "minimum": 0, "maximum": INT32_MAX}
            if convertor == "int"
            else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_parameters(e: Endpoint) -> list[dict[str, Any]]:
    if e.query is None:
        return []
    schema = e.query.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _error_statuses(e: Endpoint) -> list[int]:
    statuses = {503}
    if e.body is not None:
        statuses |= {400, 413, 422}
        if e.auth in ("admin", "operator"):
            # A body names a worker, an office or a network: one that does not exist (or
            # not for this caller) is a 404, as in a path.
            statuses.add(404)
    if e.query is not None:
        statuses.add(422)
    if e.auth != "public":
        statuses |= {401, 403}
    if e.signed:
        statuses |= {400, 401}
        if e.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses |= {409, 422}
    if "{" in e.path:
        # A path parameter names something that may not exist (404) or may be malformed: a
        # registration number without its check digit, a day that is no date (422).
        statuses |= {404, 422}
    if e.method in ("POST", "PUT", "PATCH", "DELETE") and e.auth != "public":
        statuses.add(409)
    if e.auth == "public" and e.body is not None:
        statuses |= {401, 403, 423} & set(_ERRORS)
    statuses |= set(e.errors)
    return sorted(s for s in statuses if s in _ERRORS)
