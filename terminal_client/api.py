"""Talking to the Qurb service: every request signed with the terminal key (docs/protocol.md),
every write through the outbox.

Reads fail at once when the network is down; writes are queued and the operator is told so.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.protocol.signatures import prepare_signed_headers
from terminal_client.home import Home
from terminal_client.outbox import Item, Outbox

# The service accepts an online signature up to 300 s old; past this margin a queued request
# is re-signed as an offline write before it is sent again.
ONLINE_MARGIN_SECONDS = 240
# Answers after which the same request must simply be sent again later.
RETRY_LATER = frozenset({409, 500, 502, 503, 504})


class NetworkUnreachable(Exception):
    """The service could not be reached."""


@dataclass
class ServiceError(Exception):
    """The service refused a request; ``code`` is its stable error code."""

    status: int
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    state: Literal["done", "queued", "refused"]
    seq: int
    status: int | None
    body: Any
    label: str

    def error(self) -> ServiceError:
        return _service_error(self.status or 0, self.body)


def _service_error(status: int, body: Any) -> ServiceError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    extras = {k: v for k, v in error.items() if k not in ("code", "message", "field")}
    return ServiceError(
        status,
        str(error.get("code", "http_error")),
        str(error.get("message", f"HTTP {status}")),
        error.get("field"),
        extras,
    )


class Terminal:
    def __init__(
        self,
        home: Home,
        *,
        passphrase: bytes | None = None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.home = home
        self._passphrase = passphrase
        self._key: Ed25519PrivateKey | None = None
        self._http = http or httpx.Client(timeout=timeout)
        self._clock = clock
        self.outbox = Outbox(home.outbox_file)

    def close(self) -> None:
        self.outbox.close()
        self._http.close()

    # -- keys and session -----------------------------------------------------------------
    @property
    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = self.home.private_key(self._passphrase)
        return self._key

    def use_key(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @property
    def keyid(self) -> str:
        return keyid(public_key_raw(self.key))

    @property
    def server(self) -> str:
        return str(self.home.config()["server"])

    def token(self) -> str | None:
        session = self.home.session()
        return None if session is None else str(session["token"])

    # -- signing --------------------------------------------------------------------------
    def _signed(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        seq: int | None,
        created: int,
        offline: bool,
        authorization: str | None,
    ) -> dict[str, str]:
        bare, _, query = path.partition("?")
        headers = prepare_signed_headers(
            method=method,
            path=bare,
            query=query,
            body=body,
            private_key=self.key,
            keyid=self.keyid,
            created=created,
            idempotency_key=None if seq is None else str(seq),
            authorization=authorization,
            offline="1" if offline else None,
        )
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    # -- reads ----------------------------------------------------------------------------
    def get(self, path: str) -> Any:
        token = self.token()
        headers = self._signed(
            "GET",
            path,
            b"",
            seq=None,
            created=int(self._clock()),
            offline=False,
            authorization=f"Bearer {token}" if token else None,
        )
        try:
            response = self._http.get(self.server + path, headers=headers)
        except httpx.TransportError as exc:
            raise NetworkUnreachable(str(exc)) from None
        body = _json(response)
        if response.status_code >= 400:
            raise _service_error(response.status_code, body)
        return body

    def healthy(self) -> bool:
        try:
            return self._http.get(self.server + "/healthz").status_code == 200
        except httpx.TransportError:
            return False

    # -- writes ---------------------------------------------------------------------------
    def write(
        self,
        method: str,
        path: str,
        payload: Any,
        *,
        label: str,
        authenticated: bool = True,
        queue_offline: bool = True,
    ) -> Outcome:
        """Sign, store, then send. ``queue_offline=False`` for what only makes sense online
        (activation, sign-in): those are abandoned, not queued, when the network is down."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        seq = self.outbox.reserve()
        created = int(self._clock())
        token = self.token() if authenticated else None
        headers = self._signed(
            method,
            path,
            body,
            seq=seq,
            created=created,
            offline=False,
            authorization=f"Bearer {token}" if token else None,
        )
        item = self.outbox.add(
            seq=seq,
            method=method,
            path=path,
            body=body,
            headers=headers,
            created=created,
            offline=False,
            label=label,
        )
        return self._send(item, queue_offline=queue_offline)

    def _as_offline(self, item: Item) -> Item:
        authorization = next(
            (v for k, v in item.headers.items() if k.lower() == "authorization"), None
        )
        headers = self._signed(
            item.method,
            item.path,
            item.body,
            seq=item.seq,
            created=item.created,
            offline=True,
            authorization=authorization,
        )
        return self.outbox.resign(item.seq, headers)

    def _send(self, item: Item, *, queue_offline: bool = True) -> Outcome:
        if not item.offline and self._clock() - item.created > ONLINE_MARGIN_SECONDS:
            item = self._as_offline(item)
        try:
            response = self._http.request(
                item.method, self.server + item.path, content=item.body, headers=item.headers
            )
        except httpx.TransportError:
            if not queue_offline:
                self.outbox.finish(item.seq, "abandoned", None, None)
                raise NetworkUnreachable("the service cannot be reached") from None
            if not item.offline:
                self._as_offline(item)
            return Outcome("queued", item.seq, None, None, item.label)
        body = _json(response)
        if response.status_code in RETRY_LATER:
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            if response.status_code != 409 or code == "idempotency_in_flight":
                return Outcome("queued", item.seq, response.status_code, body, item.label)
        if response.status_code < 400:
            self._keep_receipts(body)
            self.outbox.finish(item.seq, "done", response.status_code, body)
            return Outcome("done", item.seq, response.status_code, body, item.label)
        self.outbox.refuse(item.seq, response.status_code, body)
        return Outcome("refused", item.seq, response.status_code, body, item.label)

    def _keep_receipts(self, body: Any) -> None:
        receipt = body.get("receipt") if isinstance(body, dict) else None
        if isinstance(receipt, dict) and {"number", "receipt"} <= set(receipt):
            kind = str(body.get("kind") or receipt.get("kind") or "receipt")
            self.outbox.keep_receipt(str(receipt["number"]), str(receipt["receipt"]), kind)

    def sync(self) -> list[Outcome]:
        """Send what is queued, in order, stopping at the first write that must wait."""
        outcomes = []
        for item in self.outbox.pending():
            outcome = self._send(item)
            outcomes.append(outcome)
            if outcome.state == "queued":
                break
        return outcomes


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"error": {"code": "http_error", "message": response.text[:200]}}
