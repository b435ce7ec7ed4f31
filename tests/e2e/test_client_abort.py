"""Issue 16, item 7: a client that hangs up before its body is complete, against the real
server on a socket, leaves one info line saying so: no 500, no traceback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.e2e.conftest import Server

ABORTS = 20
ROUTES = ("/v1/contributions", "/v1/admin/sessions")


def _hang_up_mid_body(port: int, path: str, request_id: str) -> None:
    """Headers announcing 4 KiB, a few bytes of it, then the connection closed."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: 4096\r\nX-Request-ID: {request_id}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode() + b'{"registration_number": "00')
        time.sleep(0.05)  # the server is now waiting for the rest of the body


def _log_lines(server: Server) -> list[dict[str, Any]]:
    lines = []
    for line in server.log.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            lines.append({"raw": line})
    return lines


def test_a_client_hanging_up_mid_body_is_logged_once_as_an_abort_never_a_500(
    start_server: Callable[[], Server], record_property: Callable[[str, object], None]
) -> None:
    server = start_server()
    port = urlsplit(server.url).port
    assert port is not None
    ids = [f"client-abort-{n:03d}" for n in range(ABORTS)]
    for n, request_id in enumerate(ids):
        _hang_up_mid_body(port, ROUTES[n % len(ROUTES)], request_id)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mine = [e for e in _log_lines(server) if e.get("request_id") in ids]
        if len(mine) >= ABORTS:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # anything a request would log after its line has had time to land
    lines = _log_lines(server)
    mine = [e for e in lines if e.get("request_id") in ids]
    record_property("client_aborts_sent", ABORTS)
    record_property("client_abort_log_lines", len(mine))
    assert sorted(e["request_id"] for e in mine) == sorted(ids), "one line per abort"
    assert {(e["event"], e["level"], e["status"]) for e in mine} == {
        ("client_aborted", "info", 499)
    }
    assert {e["route"] for e in mine} == set(ROUTES)
    assert not [e for e in lines if "Traceback" in json.dumps(e) or e.get("level") == "error"]
    assert not [e for e in lines if e.get("status") == 500]
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
