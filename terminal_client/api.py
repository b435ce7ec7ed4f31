"""Talking to the Qurb service: every request signed with the terminal key (docs/protocol.md),
every write through the outbox.

Reads fail at once when the network is down; writes are queued and the operator is told so.
A link that accepts but never answers is given up after :class:`Patience` allows (a
connection within 5 s, the whole answer within 8 s by default): the operator is told it is
waiting, and once the service was not reached, the rest of the command does not wait again.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

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
    """The service could not be reached, or did not answer in time; nothing was recorded."""


@dataclass(frozen=True)
class Patience:
    """How long the terminal waits for the service, in seconds.

    ``connect`` bounds opening the connection, ``total`` the whole exchange (a server that
    accepts and then says nothing is given up after ``total``); after ``notice`` the
    operator is told the terminal is waiting. Writes given up on stay in the outbox: the
    next command sends the identical request, which the service answers exactly once.
    """

    connect: float = 5.0
    total: float = 8.0
    notice: float = 1.0

    def __post_init__(self) -> None:
        if not (self.connect > 0 and self.total > 0 and self.notice >= 0):
            raise ValueError("waiting times must be positive")


def segment(text: str) -> str:
    """``text`` as one URL path segment: what an operator typed (``#12``, ``a/b``) never
    becomes a fragment, a query or another path."""
    return quote(text, safe="")


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
        patience: Patience | None = None,
        waiting: Callable[[float], None] | None = None,
    ) -> None:
        self.home = home
        self._passphrase = passphrase
        self._key: Ed25519PrivateKey | None = None
        self.patience = patience or Patience()
        # httpx's own limits are the backstop; the whole exchange is bounded in _exchange.
        limits = httpx.Timeout(self.patience.total, connect=self.patience.connect)
        self._http = http or httpx.Client(timeout=limits)
        self._clock = clock
        self._waiting = waiting
        self._unreachable = False
        self.outbox = Outbox(home.outbox_file)

    def close(self) -> None:
        self.outbox.close()
        self._http.close()

    # -- the exchange, bounded in time ----------------------------------------------------
    def _exchange(
        self, method: str, url: str, *, content: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One request and its whole answer within ``patience.total`` seconds, or
        ``httpx.TransportError``. Once the service was not reached, later requests of the
        same command fail at once: the operator waits once, not once per request.

        The request runs on a helper thread so that the wait is bounded whatever the link
        does (httpx's read timeout restarts with every byte a slow link trickles in), and
        Ctrl-C still stops the program at once. An abandoned request may still reach the
        service: for a write that is harmless, the outbox resends the identical request.
        """
        if self._unreachable:
            raise httpx.ConnectError("the service was not reached earlier in this command")
        answers: queue.SimpleQueue[httpx.Response | BaseException] = queue.SimpleQueue()

        def attempt() -> None:
            try:
                answers.put(self._http.request(method, url, content=content, headers=headers))
            # Whatever happens is handed over to the waiting thread and raised there.
            except BaseException as exc:  # noqa: BLE001
                answers.put(exc)

        threading.Thread(target=attempt, name="qurb-request", daemon=True).start()
        started = time.monotonic()
        try:
            answer = answers.get(timeout=min(self.patience.notice, self.patience.total))
        except queue.Empty:
            if self._waiting is not None:
                self._waiting(self.patience.total)
            remaining = self.patience.total - (time.monotonic() - started)
            try:
                answer = answers.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                self._unreachable = True
                raise httpx.ReadTimeout(f"no answer within {self.patience.total:g} s") from None
        if isinstance(answer, httpx.TransportError):
            self._unreachable = True
        if isinstance(answer, BaseException):
            raise answer
        return answer

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
            response = self._exchange("GET", self.server + path, headers=headers)
        except httpx.TransportError as exc:
            raise NetworkUnreachable(str(exc)) from None
        body = _json(response)
        if response.status_code >= 400:
            raise _service_error(response.status_code, body)
        return body

    def healthy(self) -> bool:
        try:
            return self._exchange("GET", self.server + "/healthz").status_code == 200
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
        personal: bool = False,
    ) -> Outcome:
        """Sign, store, then send. ``queue_offline=False`` for what only makes sense online
        (activation, sign-in): those are abandoned, not queued, when the network is down.

        ``personal`` for a body with personal data (a CIN, names, a phone, an address) or a
        password: it gets a fresh 128-bit salt, drawn once here, so the digest the audit log
        keeps of it gives nothing back (docs/protocol.md); the outbox resends these very
        bytes."""
        if personal and isinstance(payload, dict):
            payload = {**payload, "salt": new_salt()}
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
            response = self._exchange(
                item.method, self.server + item.path, content=item.body, headers=item.headers
            )
        except httpx.TransportError:
            if not queue_offline:
                forget = holds_a_password(item)
                self.outbox.finish(item.seq, "abandoned", None, None, forget_body=forget)
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
            forget = holds_a_password(item)
            self.outbox.finish(item.seq, "done", response.status_code, body, forget_body=forget)
            return Outcome("done", item.seq, response.status_code, body, item.label)
        self.outbox.refuse(item.seq, response.status_code, body)
        return Outcome("refused", item.seq, response.status_code, body, item.label)

    def _keep_receipts(self, body: Any) -> None:
        receipt = signed_document(body)
        if receipt is not None:
            slip = "deposit" if "slip" in body else "receipt"
            kind = str(body.get("kind") or receipt.get("kind") or slip)
            compact = receipt.get("compact")
            self.outbox.keep_receipt(
                str(receipt["number"]),
                str(receipt["receipt"]),
                kind,
                str(compact) if compact else None,
            )

    def sync(self) -> list[Outcome]:
        """Send what is queued, in order, stopping at the first write that must wait."""
        outcomes = []
        for item in self.outbox.pending():
            outcome = self._send(item)
            outcomes.append(outcome)
            if outcome.state == "queued":
                break
        return outcomes


def signed_document(body: Any) -> dict[str, Any] | None:
    """The signed document an answer carries: a receipt (``receipt``), or a deposit's slip
    (``slip``), each ``{number, receipt, compact?}``."""
    if not isinstance(body, dict):
        return None
    for key in ("receipt", "slip"):
        found = body.get(key)
        if isinstance(found, dict) and {"number", "receipt"} <= set(found):
            return found
    return None


def holds_a_password(item: Item) -> bool:
    """A sign-in or a supervisor's approval (a reversal, a deposit's cancellation): its body
    holds a password, forgotten by the outbox once the write is over (a refused one is
    deleted whole)."""
    return item.method == "POST" and (
        item.path == "/v1/sessions"
        or item.path.endswith("/reversal")
        or item.path.endswith("/cancellation")
    )


def new_salt() -> str:
    """128 bits from the operating system's generator, base64url without padding."""
    return secrets.token_urlsafe(SALT_BYTES)


SALT_BYTES = 16


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"error": {"code": "http_error", "message": response.text[:200]}}
