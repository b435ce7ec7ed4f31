"""Issue 9: schemathesis fuzzes every operation of ``/openapi.json`` against the real app on a
real database. Every answer must be one the document promises (no 5xx; a documented status,
content type and body shape), and input that breaks the schema must be refused.

Authentication is the harness here, not the target (``test_signature_fuzz.py`` attacks the
signatures). Every generated request carries valid credentials for its endpoint: terminal
requests are signed over the exact bytes sent, with a fresh sequence number on each write and
the operator's token and its digest; back-office requests carry the bearer token of a role the
endpoint admits. So the generated input reaches validation and the handlers.

Each operation is fuzzed three ways: aimed at things that exist (a real worker, receipt,
office, exception, activation code...) so that reads and writes succeed, then with input the
schema allows, then with input it forbids. A request that legitimately breaks the harness
(signing out, rotating the key, revoking or suspending the terminal, resetting a password) is
followed by a repair, so the next one is authenticated again. The counts go to the JUnit
report.

The regression tests at the end pin what the fuzzer found.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.core.failures import FailureGroup
from starlette.testclient import TestClient

from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.registry import NetworkStatus, OfficeStatus, UserStatus
from agent_api.domain.roles import Role
from agent_api.errors import QurbError
from agent_api.http.endpoints import Endpoint
from agent_api.protocol.encoding import b64url_encode
from agent_api.services.registry.demo import demo_rib
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.privacy import cins_in
from tests.support.reconciliation import enroll, pay, reconciled_day, today
from tests.support.terminal import WRITES, TestTerminal
from tests.support.workers import worker_payload

# Examples per operation and way: enough to reach every handler several times, few enough
# that the file runs in about a minute per database on a 2-core machine.
EXAMPLES = {"aimed": 4, "positive": 16, "negative": 16}

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    # Schema-violating input answered 2xx: an unknown field, a wrong type, a value out of
    # bounds accepted.
    schemathesis.checks.negative_data_rejection,
    # Not positive_data_acceptance: schema-valid input is still refused, rightly, when a rule
    # JSON Schema cannot express fails (a CIN's shape, a RIB's key, a worker that does not
    # exist), so a 422 there is no finding.
]

# The harness's own headers: the fuzzer must not generate them, the harness sets them.
HARNESS_HEADERS = frozenset(
    {
        "signature",
        "signature-input",
        "content-digest",
        "idempotency-key",
        "qurb-token-digest",
        "qurb-offline",
        "authorization",
    }
)

# Refusals that mean the harness failed to authenticate a request; none may be seen.
HARNESS_FAILURES = frozenset(
    {
        "signature_missing",
        "signature_invalid",
        "signature_coverage",
        "signature_stale",
        "malformed_signature",
        "digest_missing",
        "digest_mismatch",
        "idempotency_key_missing",
        "idempotency_key_reused",
        "idempotency_in_flight",
        "unknown_key",
        "key_revoked",
        "token_missing",
        "token_invalid",
        "token_expired",
        "token_wrong_terminal",
        "terminal_suspended",
        "office_suspended",
        "network_suspended",
    }
)

# Who calls a back-office endpoint: the user of the first role in this order it admits.
BACK_OFFICE_USERS = {
    Role.CNSS_ADMIN: "cnss.admin",
    Role.FINANCE: "cnss.finance",
    Role.AUDITOR: "cnss.auditor",
    Role.NETWORK_ADMIN: "admin.cashplus",
}
USERNAMES = [
    *BACK_OFFICE_USERS.values(),
    "admin.wafacash",
    *(f"{p}.{o}" for o in ("ca-01", "ca-02", "wa-01", "wa-02") for p in ("op", "sup")),
]
FuzzCase = Case[Any]
OPERATOR = "op.ca-01"  # signed in on the fuzzing terminal, at CA-01
# Signed in on the same terminal too, for what only the office's supervisor reads.
SUPERVISOR = "sup.ca-01"
DOOR_OPERATOR = "op.ca-02"  # of CA-02, whose terminal takes the fuzzed sign-ins


def fuzzed_document(served: dict[str, Any]) -> dict[str, Any]:
    """The served document less what the harness supplies: the signature headers and the
    bearer requirement. Left in, the fuzzer would generate (and negate) credentials that the
    harness then replaces, and a valid request would pass for a negated one."""
    document = copy.deepcopy(served)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)
            operation["parameters"] = [
                p
                for p in operation["parameters"]
                if not (p["in"] == "header" and p["name"].lower() in HARNESS_HEADERS)
            ]
    return document


def negatable(operation: dict[str, Any]) -> bool:
    """Whether the schema forbids any input here: a body, a query parameter, or a path
    parameter of a type other than string (any string is a path segment)."""
    return "requestBody" in operation or any(
        p["in"] == "query" or p["schema"]["type"] != "string" for p in operation["parameters"]
    )


def without_cins(case: FuzzCase) -> bool:
    """Whether no generated value but a ``cin`` is shaped like a CIN. The integration suite
    fails a test that leaves a clear CIN in any text column; a random office code or label
    such as ``AB1234`` is not one, but would be reported as one."""

    def strings(value: object, key: str = "") -> Iterator[str]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield str(k)
                yield from strings(v, str(k))
        elif isinstance(value, list):
            for v in value:
                yield from strings(v, key)
        elif isinstance(value, str) and key != "cin":
            yield value

    inputs = [case.path_parameters, case.query, case.body]
    return not any(cins_in(s) for value in inputs for s in strings(value))


def query_string(params: Any) -> str:
    """The query as ``requests``, schemathesis's own transport, encodes it."""
    if not params:
        return ""
    if isinstance(params, str):
        return params
    pairs = []
    for key, values in params.items():
        listed = values if isinstance(values, list | tuple) else [values]
        pairs += [(key, v) for v in listed if v is not None]
    return urlencode(pairs, doseq=True)


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        by_class = Counter(f"{s // 100}xx" for s in self.statuses.elements())
        return " ".join(f"{k}={v}" for k, v in sorted(by_class.items()))


@dataclass
class Targets:
    """What exists, for requests aimed at it. The lists grow as the fuzz creates things (a
    terminal and its activation code); each name takes its values in turn."""

    worker: str
    cin: str
    fisher: str
    receipts: list[str]
    compacts: list[str]  # the same receipts' compact forms (the verification page's question)
    entries: list[str]  # the audit-log entries those receipts name, and one never recorded
    day: str  # closed, settled and reconciled, with exceptions to work
    today: str  # the business day the fuzz runs in
    month: str  # its month: months are counted from the fake clock's, not the real one
    exception_ids: list[int]
    terminal_ids: list[int]
    activation_codes: list[str]
    deposits: list[str] = field(default_factory=list)  # deposit numbers, to cancel
    turns: Counter[str] = field(default_factory=Counter)

    def next(self, name: str, values: list[Any]) -> Any:
        self.turns[name] += 1
        return values[(self.turns[name] - 1) % len(values)]

    def fresh(self) -> int:
        self.turns["fresh"] += 1
        return self.turns["fresh"]

    def parameter(self, template: str, name: str) -> Any:
        values: dict[str, list[Any]] = {
            "registration_number": [self.worker],
            "number": self.receipts,
            "receipt_number": self.receipts,
            "deposit_number": self.deposits,
            "terminal_id": self.terminal_ids,
            "username": USERNAMES,
            "network": ["CASHPLUS", "WAFACASH"],
            "office": ["CA-01", "CA-02", "WA-01", "WA-02"],
            "category": ["ARTISAN"],
            "day": [self.day],
            "reference": [f"QURB-STL-CASHPLUS-{self.day.replace('-', '')}"],
            "exception_id": self.exception_ids,
            "entry": self.entries,
            "tile": ["0/000.p/1"],  # the log's first leaf (C2SP tlog-tiles)
            "bundle": ["000.p/1"],
        }
        if name == "code":
            name = "network" if template.startswith("/v1/admin/networks") else "office"
        turn = f"{template} {name}"
        if template.endswith("/activation-code"):
            # Only a pending terminal gets a code: the newest, those the fuzz created.
            values[name] = self.terminal_ids[::-1]
        elif template.endswith(("/resolve", "/write-off")):
            turn = "exception worked"  # an exception is worked once: each its own
        # Otherwise each operation starts at the first value: revoking the first terminals
        # leaves the newest pending.
        return self.next(turn, values[name])

    def body(self, method: str, template: str) -> dict[str, Any] | None:
        """A valid body for a write aimed at what exists, fresh where it creates something."""
        n = self.fresh()
        this_month = first_of_month(date.fromisoformat(self.today))
        fishing_day = f"{format_month(add_months(this_month, -1))}-{n % 28 + 1:02d}"
        bodies: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
            ("POST", "/v1/terminals/activate"): lambda: {
                "activation_code": self.next("activation_code", self.activation_codes),
                "public_key": "",  # the harness puts the newcomer's key here
            },
            # A body with personal data or a password carries a fresh 128-bit salt, as the
            # counter's does (the back office's sign-in is not signed, so not in the log).
            ("POST", "/v1/sessions"): lambda: {
                "username": DOOR_OPERATOR,
                "password": PASSWORD,
                "salt": secrets.token_urlsafe(16),
            },
            ("POST", "/v1/admin/sessions"): lambda: {
                "username": "cnss.auditor",
                "password": PASSWORD,
            },
            ("POST", "/v1/workers"): lambda: {
                **worker_payload(cin=f"BF{700_000 + n}", coverage_start=self.month),
                "salt": secrets.token_urlsafe(16),
            },
            ("POST", "/v1/workers/lookup"): lambda: {
                "cin": self.cin,
                "salt": secrets.token_urlsafe(16),
            },
            ("POST", "/v1/workers/history"): lambda: {
                "cin": self.cin,
                "salt": secrets.token_urlsafe(16),
            },
            ("PATCH", "/v1/workers/{registration_number}"): lambda: {
                "address": f"{n} rue",
                "salt": secrets.token_urlsafe(16),
            },
            # Every other collection gives the payer's phone, and so its salt.
            ("POST", "/v1/contributions"): lambda: {
                "registration_number": self.worker,
                "amount_centimes": 1_000 + n,
                **(
                    {"payer_phone": f"0661{n % 1_000_000:06d}", "salt": secrets.token_urlsafe(16)}
                    if n % 2
                    else {}
                ),
            },
            ("POST", "/v1/contributions/{receipt_number}/reversal"): lambda: {
                "reason": "wrong amount",
                "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
                "salt": secrets.token_urlsafe(16),
            },
            # A deposit says what care a person had: health data, so a salt.
            ("POST", "/v1/deposits"): lambda: {
                "registration_number": self.worker,
                "care_kind": "laboratory",
                "care_from": self.today,
                "amount_spent_centimes": 10_000 + n,
                "documents": 1 + n % 5,
                "salt": secrets.token_urlsafe(16),
            },
            ("POST", "/v1/deposits/{deposit_number}/cancellation"): lambda: {
                "reason": "envelope handed back",
                "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
                "salt": secrets.token_urlsafe(16),
            },
            ("POST", "/v1/offices/current/transmittals"): lambda: {"business_date": self.today},
            ("POST", "/v1/workers/{registration_number}/certificates"): lambda: {"kind": "rights"},
            ("POST", "/v1/receipt-standing"): lambda: {
                "compact": self.next("compact", self.compacts)
            },
            ("POST", "/v1/declarations/daily"): lambda: {
                "registration_number": self.fisher,
                "declared_by": "Coopérative Al Amal",
                "days": [{"date": fishing_day, "earnings_centimes": 50_000}],
            },
            # The same count each time: the first closes the drawer, the others get its report.
            ("POST", "/v1/drawer-closes"): lambda: {
                "counts": [{"denomination_centimes": 20_000, "quantity": 3}]
            },
            ("POST", "/v1/admin/networks"): lambda: {
                "code": f"NET{n}",
                "name": f"Network {n}",
                "commission_fixed_centimes": 200,
                "commission_bps": 30,
                "settlement_account": demo_rib("011", 500 + n),
            },
            # A new rule from a later day each time (the same day again replaces it).
            ("POST", "/v1/admin/networks/{code}/commission-rules"): lambda: {
                "effective_from": (date.fromisoformat(self.today) + timedelta(days=n)).isoformat(),
                "fixed_centimes": 150,
                "basis_points": 25,
            },
            ("POST", "/v1/admin/offices"): lambda: {
                "code": f"CA-F{n}",
                "network": "CASHPLUS",
                "name": f"Office {n}",
                "city": "Rabat",
                "region": "Rabat-Salé-Kénitra",
            },
            ("POST", "/v1/admin/terminals"): lambda: {"office": "CA-01", "label": f"Guichet {n}"},
            ("POST", "/v1/admin/users"): lambda: {
                "username": f"op.fuzz-{n}",
                "full_name": "Fuzz Operator",
                "role": "operator",
                "password": PASSWORD,
                "office": "CA-01",
            },
            ("PUT", "/v1/admin/users/{username}/password"): lambda: {"password": PASSWORD},
            ("POST", "/v1/admin/tariff/rates"): lambda: {
                "category": "ARTISAN",
                "bracket": "REGISTERED",
                "effective_from": format_month(add_months(this_month, n)),
                "base_centimes": 50_000,
                "rate_bps": 637,
            },
            ("POST", "/v1/admin/tariff/categories"): lambda: {
                "code": f"FUZZ_{n}",
                "label_fr": "Catégorie",
                "label_ar": "فئة",
            },
            ("POST", "/v1/admin/tariff/categories/{category}/brackets"): lambda: {
                "code": f"FUZZ_{n}",
                "label": "Tranche",
            },
            ("POST", "/v1/admin/surcharge-waivers"): lambda: {
                "starts_on": self.today,
                "ends_on": self.today,
                "categories": [],
                "reason": "campaign",
            },
            **{
                ("POST", f"/v1/finance/exceptions/{{exception_id}}/{action}"): lambda: {
                    "reason_code": "cnss_booking_corrected",
                    "comment": "checked with CNSS",
                }
                for action in ("resolve", "write-off")
            },
        }
        make = bodies.get((method, template))
        return make() if make is not None else None


class Harness:
    """Sends each generated case with valid credentials, and keeps them valid."""

    def __init__(
        self, world: World, clock: FakeClock, main: TestTerminal, targets: Targets
    ) -> None:
        self.world = world
        self.client: TestClient = world.client
        self.services = world.services
        self.clock = clock
        self.main = main  # the operator's terminal: signs every operator request
        self.door = activated(world, clock, "CA-02")  # signs the fuzzed sign-ins
        self.targets = targets
        self.tokens: dict[str, str] = {}
        self.rotation: Ed25519PrivateKey | None = None  # the next key, during a rotation
        self.supervisor_token = ""
        self.sign_in_main()
        self.tallies: dict[str, Tally] = {}
        self.failures: list[str] = []
        self.harness_refusals: list[str] = []
        self.negatable: list[str] = []

    def admin_token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = self.world.sign_in(username)
        return self.tokens[username]

    def back_office_user(self, endpoint: Endpoint) -> str:
        return next(u for r, u in BACK_OFFICE_USERS.items() if r in endpoint.roles)

    def credentials(
        self, endpoint: Endpoint, method: str, raw_path: str, body: bytes, newcomer: TestTerminal
    ) -> dict[str, str]:
        write = method in WRITES
        if endpoint.auth == "admin":
            return {"Authorization": f"Bearer {self.admin_token(self.back_office_user(endpoint))}"}
        if endpoint.auth == "operator":
            sequence = self.main.next_sequence() if write else None
            token = self.main.token if Role.OPERATOR in endpoint.roles else self.supervisor_token
            return self.main.signed_headers(method, raw_path, body, sequence=sequence, token=token)
        if endpoint.auth == "terminal":
            sequence = self.door.next_sequence() if write else None
            return self.door.signed_headers(method, raw_path, body, sequence=sequence)
        if endpoint.auth == "activation":
            # Signed by the key the body registers; a new terminal's first write is 1.
            return newcomer.signed_headers(method, raw_path, body, sequence=1)
        return {}

    def aim(self, case: FuzzCase, endpoint: Endpoint) -> None:
        if case.path_parameters:
            case.path_parameters = {
                name: self.targets.parameter(endpoint.template, name)
                for name in case.path_parameters
            }
        if endpoint.template == "/v1/terminals/current/keys":
            self.rotation, rotation = self.main.rotation_body()
            body: dict[str, Any] = dict(rotation)
            case.body = body
            return
        aimed = self.targets.body(endpoint.method, endpoint.template)
        if aimed is not None:
            case.body = aimed

    def exercise(self, case: FuzzCase, endpoint: Endpoint, *, aimed: bool) -> None:
        if aimed:
            self.aim(case, endpoint)
        newcomer = TestTerminal(self.client, self.clock)
        generated = case.body
        key = generated.get("public_key") if isinstance(generated, dict) else None
        if endpoint.auth == "activation" and isinstance(generated, dict) and isinstance(key, str):
            # The fuzzer's key has no private half: the newcomer's takes its place.
            case.body = {**generated, "public_key": b64url_encode(newcomer.public_raw)}
        sent = case.as_transport_kwargs(base_url="http://testserver")
        body = b""
        if "json" in sent:
            body = json.dumps(sent["json"], allow_nan=False).encode()
        elif sent.get("data") is not None:
            body = sent["data"].encode() if isinstance(sent["data"], str) else sent["data"]
        query = query_string(sent.get("params"))
        url = sent["url"] + (f"?{query}" if query else "")
        headers = {k: v for k, v in sent["headers"].items() if k.lower() == "content-type"}
        request = self.client.build_request(case.method, url, content=body, headers=headers)
        # Signed over the path and query exactly as they go on the wire.
        raw_path = request.url.raw_path.decode("ascii")
        request.headers.update(self.credentials(endpoint, case.method, raw_path, body, newcomer))
        response = self.client.send(request)
        self.count(f"{case.method} {endpoint.template}", response)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failed:
            self.failures.append(f"{case.method} {endpoint.template}\n{failed}")
        if 200 <= response.status_code < 300:
            self.remember(response)
            self.repair(case, endpoint)

    def count(self, label: str, response: Any) -> None:
        tally = self.tallies.setdefault(label, Tally())
        tally.statuses[response.status_code] += 1
        if response.status_code >= 400:
            try:
                code = str(response.json()["error"]["code"])
            except (ValueError, KeyError, TypeError):
                code = "(no error body)"
            tally.codes[code] += 1
            if code in HARNESS_FAILURES:
                self.harness_refusals.append(f"{label}: {response.text[:200]}")

    def remember(self, response: Any) -> None:
        """A terminal the fuzz created is pending: aim activations and new codes at it."""
        if "application/json" not in response.headers.get("content-type", ""):
            return
        found = response.json()
        if isinstance(found, dict) and "activation_code" in found:
            self.targets.activation_codes.append(found["activation_code"])
            self.targets.terminal_ids.append(found["terminal"]["id"])

    def repair(self, case: FuzzCase, endpoint: Endpoint) -> None:
        """Undo what a successful write did to the harness's own credentials."""
        params = case.path_parameters or {}
        template = endpoint.template
        registry, terminals = self.services.registry, self.services.terminals
        if template == "/v1/terminals/current/keys" and self.rotation is not None:
            self.main.key, self.rotation = self.rotation, None
            self.sign_in_main()  # sessions end with the key they were bound to
        elif template == "/v1/sessions/current":
            self.sign_in_main()
        elif template == "/v1/admin/sessions/current":
            self.tokens.pop(self.back_office_user(endpoint), None)
        elif template == "/v1/admin/networks/{code}/suspend":
            registry.set_network_status(SYSTEM_ACTOR, params["code"], NetworkStatus.ACTIVE)
        elif template == "/v1/admin/offices/{code}/suspend":
            registry.set_office_status(SYSTEM_ACTOR, params["code"], OfficeStatus.ACTIVE)
        elif template == "/v1/admin/terminals/{terminal_id}/suspend":
            terminals.reactivate(SYSTEM_ACTOR, params["terminal_id"])
        elif template == "/v1/admin/terminals/{terminal_id}/revoke":
            self.replace_revoked(params["terminal_id"])
        elif template in (
            "/v1/admin/users/{username}/suspend",
            "/v1/admin/users/{username}/password",
        ):
            self.restore_user(params["username"])

    def sign_in_main(self) -> None:
        """The supervisor's session, then the operator's: the terminal's token is the
        operator's, the supervisor's is kept aside."""
        response = self.main.login(SUPERVISOR, PASSWORD)
        assert response.status_code == 201, response.text
        self.supervisor_token = self.main.token or ""
        response = self.main.login(OPERATOR, PASSWORD)
        assert response.status_code == 201, response.text

    def restore_user(self, username: str) -> None:
        """Active again, with the fixture's password; sessions were ended, so sign in again."""
        try:
            self.services.users.set_status(SYSTEM_ACTOR, username, UserStatus.ACTIVE)
            self.services.users.set_password(SYSTEM_ACTOR, username, PASSWORD)
        except QurbError:
            return  # a user the fuzz created: no credential of the harness
        self.tokens.pop(username, None)
        if username in (OPERATOR, SUPERVISOR):
            self.sign_in_main()

    def replace_revoked(self, terminal_id: int) -> None:
        """Revocation is final: the office gets a new terminal, activated (and signed in)."""
        if terminal_id == self.main.terminal_id:
            self.main = self.new_terminal("CA-01")
            self.sign_in_main()
        elif terminal_id == self.door.terminal_id:
            self.door = self.new_terminal("CA-02")

    def new_terminal(self, office: str) -> TestTerminal:
        created = self.services.terminals.create(SYSTEM_ACTOR, office=office, label="Guichet")
        fresh = TestTerminal(self.client, self.clock)
        assert fresh.activate(created.activation_code).status_code == 201
        return fresh


def build_targets(world: World, clock: FakeClock, main: TestTerminal, tmp_path: Path) -> Targets:
    """A reconciled CASHPLUS day with exceptions, then the next day, in which the fuzz runs:
    workers, receipts to read and to reverse."""
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    day = reconciled_day(recon, main, clock, tmp_path, payments=4)
    exceptions = world.client.get(
        f"/v1/finance/exceptions?date={day}", headers=world.auth("cnss.finance")
    ).json()["items"]
    clock.advance(days=1)  # the day is closed: the fuzz collects in the next one
    assert main.login(OPERATOR, PASSWORD).status_code == 201
    month = first_of_month(today(clock))
    cin = "BF600001"
    payload = worker_payload(cin=cin, coverage_start=format_month(month))
    worker = main.send("POST", "/v1/workers", payload).json()
    fisher = main.send(
        "POST",
        "/v1/workers",
        worker_payload(
            cin="BF600002",
            category="FISHING_WORKER",
            bracket="ALGAE_HARVESTER",
            document_number="LM-44521",
            coverage_start=format_month(add_months(month, -1)),
        ),
    ).json()
    number = worker["registration_number"]
    paid = [pay(main, number, amount, "CA-01") for amount in (5_000, 6_000, 7_000)]
    receipts = [p.receipt for p in paid]
    compacts = [services.receipts.compact_of(p.jws) or "" for p in paid]
    entries = [
        str(jwt.decode(p.jws, options={"verify_signature": False})["log_entry"]) for p in paid
    ] + ["0" * 32]
    deposited = [
        main.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": number,
                "care_kind": "consultation",
                "care_from": today(clock).isoformat(),
                "amount_spent_centimes": 25_000,
                "documents": documents,
            },
        ).json()
        for documents in (1, 2)
    ]
    deposits = [d["deposit_number"] for d in deposited]
    compacts += [d["slip"]["compact"] for d in deposited]  # the page's question about a file
    return Targets(
        worker=number,
        cin=cin,
        fisher=fisher["registration_number"],
        receipts=receipts,
        compacts=compacts,
        entries=entries,
        day=day.isoformat(),
        today=today(clock).isoformat(),
        month=format_month(month),
        exception_ids=[e["id"] for e in exceptions],
        terminal_ids=sorted(world.terminal_ids.values()),
        activation_codes=[world.activation_codes[o] for o in ("WA-01", "WA-02")],
        deposits=deposits,
    )


def fuzz(harness: Harness, schema: Any, endpoints: dict[tuple[str, str], Endpoint]) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()
        endpoint = endpoints[(operation.method.upper(), operation.path)]
        for way, examples in EXAMPLES.items():
            if way == "negative":
                if not negatable(operation.definition.raw):
                    continue  # nothing here that the schema forbids
                harness.negatable.append(f"{endpoint.method} {endpoint.template}")
            mode = GenerationMode.NEGATIVE if way == "negative" else GenerationMode.POSITIVE
            strategy = operation.as_strategy(generation_mode=mode).filter(without_cins)
            send_examples(harness, strategy, endpoint, aimed=way == "aimed", examples=examples)


def send_examples(
    harness: Harness, strategy: Any, endpoint: Endpoint, *, aimed: bool, examples: int
) -> None:
    # Generation only: no shrinking (it would replay writes into a world they changed), and
    # a fixed seed, so that every run sends the same requests.
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: FuzzCase) -> None:
        harness.exercise(case, endpoint, aimed=aimed)

    run()


def test_every_documented_operation_answers_as_documented_to_signed_fuzzed_requests(
    world: World,
    terminal: TestTerminal,
    clock: FakeClock,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    harness = Harness(world, clock, terminal, build_targets(world, clock, terminal, tmp_path))
    served = world.client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(fuzzed_document(served))
    app_endpoints: list[Endpoint] = world.client.app.state.endpoints  # type: ignore[attr-defined]
    fuzz(harness, schema, {(e.method, e.template): e for e in app_endpoints})

    tallies = harness.tallies
    statuses = Counter[int]()
    for tally in tallies.values():
        statuses.update(tally.statuses)
    tried = sum(statuses.values())
    accepted = sum(n for s, n in statuses.items() if 200 <= s < 300)
    refused = sum(n for s, n in statuses.items() if 400 <= s < 500)
    record_property("requests_tried", tried)
    record_property("requests_accepted_2xx", accepted)
    record_property("requests_refused_4xx", refused)
    record_property("operations", len(tallies))
    record_property(
        "per_operation", "; ".join(f"{k}: {t.summary()}" for k, t in sorted(tallies.items()))
    )
    codes = sum((t.codes for t in tallies.values()), Counter[str]())
    record_property("refusal_codes", ", ".join(f"{c}={n}" for c, n in codes.most_common()))
    assert harness.failures == [], "\n\n".join(harness.failures[:3])
    assert harness.harness_refusals == []
    # Every documented operation was fuzzed; none is left out.
    assert set(tallies) == {f"{e.method} {e.template}" for e in app_endpoints}
    # Past authentication, into validation and the handlers: every operation succeeded at
    # least once, and every one with input the schema forbids refused some.
    assert [k for k, t in tallies.items() if not any(200 <= s < 300 for s in t.statuses)] == []
    refusing = {k for k, t in tallies.items() if {400, 404, 422} & set(t.statuses)}
    assert sorted(set(harness.negatable) - refusing) == []


# -- what the fuzzer found ------------------------------------------------------------------


def test_numbers_too_large_to_store_are_refused_with_the_field_named(world: World) -> None:
    # PostgreSQL casts ids, offsets and versions to INTEGER and tree sizes to BIGINT, and
    # SQLite's driver stops at 64 bits: these were 500s.
    cases = [
        ("/v1/admin/users?offset=2147483648", "cnss.admin", "offset"),
        ("/v1/finance/settlements?offset=18446744073709551616", "cnss.finance", "offset"),
        ("/v1/admin/security-events?terminal_id=2147483648", "cnss.admin", "terminal_id"),
        ("/v1/audit/checkpoints?since=9223372036854775808", "cnss.auditor", "since"),
        (
            "/v1/audit/leaves?start=9223372036854775808&end=9223372036854775809",
            "cnss.auditor",
            "start",
        ),
        (
            "/v1/finance/reconciliations/2026-01-05/report?version=2147483648",
            "cnss.finance",
            "version",
        ),
    ]
    for path, user, name in cases:
        response = world.client.get(path, headers=world.auth(user))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["field"] == name


def test_an_id_in_the_path_too_large_to_store_names_nothing(world: World) -> None:
    cases = [
        ("GET", "/v1/admin/terminals/2147483648", "cnss.admin", None),
        ("GET", "/v1/admin/terminals/18446744073709551616", "cnss.admin", None),
        ("POST", "/v1/admin/terminals/2147483648/suspend", "cnss.admin", None),
        ("GET", "/v1/finance/exceptions/2147483648", "cnss.finance", None),
        (
            "POST",
            "/v1/finance/exceptions/2147483648/resolve",
            "cnss.finance",
            {"reason_code": "cnss_booking_corrected", "comment": "checked"},
        ),
    ]
    for method, path, user, body in cases:
        response = world.client.request(method, path, json=body, headers=world.auth(user))
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"


def test_a_dependent_id_too_large_to_store_is_refused_naming_the_field_as_services_do(
    world: World, terminal: TestTerminal
) -> None:
    number = enroll(terminal)
    response = terminal.send("PATCH", f"/v1/workers/{number}", {"remove_dependents": [2**31]})
    assert response.status_code == 422, response.text
    # As the service names an unknown dependent id: remove_dependents[0], not ….0
    assert response.json()["error"]["field"] == "remove_dependents[0]"


def test_a_nul_character_is_refused_with_the_field_named_wherever_it_is_sent(
    world: World, terminal: TestTerminal
) -> None:
    # No PostgreSQL text holds U+0000: each of these was a 500 there.
    admin, finance = world.auth("cnss.admin"), world.auth("cnss.finance")
    sign_in = {"username": "cnss.admin\u0000", "password": PASSWORD}
    label = {"code": "NUL_TEST", "label_fr": "a\u0000b", "label_ar": "فئة"}
    bracket = {"code": "NUL_TEST", "label": "Tranche"}
    answers = {
        "username": world.client.post("/v1/admin/sessions", json=sign_in),
        "label_fr": world.client.post("/v1/admin/tariff/categories", json=label, headers=admin),
        "category": world.client.post(
            "/v1/admin/tariff/categories/A%00B/brackets", json=bracket, headers=admin
        ),
        "city": world.client.get("/v1/admin/offices?city=a%00b", headers=admin),
        "code": world.client.get("/v1/admin/networks/A%00B", headers=admin),
        "reference": world.client.get("/v1/finance/settlements/a%00b", headers=finance),
        "number": terminal.send("GET", "/v1/receipts/a%00b"),
        "receipt_number": terminal.send(
            "POST",
            "/v1/contributions/a%00b/reversal",
            {
                "reason": "wrong amount",
                "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
            },
        ),
    }
    operator = terminal.send("POST", "/v1/sessions", {"username": "op\u0000", "password": "x"})
    answers["username (terminal)"] = operator
    for name, response in answers.items():
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["field"] == name.split(" ")[0]
        assert "NUL" in response.json()["error"]["message"]


def test_a_month_is_documented_as_it_is_read_yyyy_mm(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    coverage = document["components"]["schemas"]["WorkerIn"]["properties"]["coverage_start"]
    (through,) = [
        p["schema"]
        for p in document["paths"]["/v1/workers/{registration_number}/quote"]["get"]["parameters"]
        if p["name"] == "through"
    ]
    for schema in (coverage["anyOf"][0], through["anyOf"][0]):
        pattern = re.compile(schema["pattern"])
        assert pattern.fullmatch("2025-03")
        assert not pattern.fullmatch("2025-03-01")
        assert not pattern.fullmatch("2025-13")
        assert not pattern.fullmatch("0000-01")


def test_a_malformed_path_parameter_and_an_unknown_filter_get_documented_answers(
    world: World, terminal: TestTerminal
) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    finance = world.auth("cnss.finance")
    answers = [
        ("/v1/workers/{registration_number}", "get", terminal.send("GET", "/v1/workers/0"), 422),
        (
            "/v1/finance/reconciliations/{day}",
            "get",
            world.client.get("/v1/finance/reconciliations/someday", headers=finance),
            422,
        ),
        (
            "/v1/finance/exceptions",
            "get",
            world.client.get("/v1/finance/exceptions?network=NOPE", headers=finance),
            404,
        ),
    ]
    for path, method, response, status in answers:
        assert response.status_code == status, response.text
        assert str(status) in paths[path][method]["responses"]
    # An operator's failed sign-ins lock the account, then throttle the terminal.
    assert {"423", "429"} <= set(paths["/v1/sessions"]["post"]["responses"])


def test_operator_requests_document_the_token_digest_they_must_sign(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    headers = {
        p["name"]: p["required"]
        for p in paths["/v1/contributions"]["post"]["parameters"]
        if p["in"] == "header"
    }
    assert headers == {
        "Signature-Input": True,
        "Signature": True,
        "Content-Digest": True,
        "Idempotency-Key": True,
        "Qurb-Token-Digest": True,
        "Qurb-Offline": False,
    }
    sign_in = paths["/v1/sessions"]["post"]["parameters"]
    assert "Qurb-Token-Digest" not in {p["name"] for p in sign_in}


def test_a_body_naming_what_does_not_exist_gets_a_documented_404(
    world: World, terminal: TestTerminal
) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    office = {"code": "ZZ-01", "network": "NOPE", "name": "Office", "city": "Fès", "region": "R"}
    answers = [
        (
            "/v1/contributions",
            terminal.send(
                "POST",
                "/v1/contributions",
                {"registration_number": "0000374500", "amount_centimes": 1_000},
            ),
        ),
        ("/v1/workers/lookup", terminal.send("POST", "/v1/workers/lookup", {"cin": "ZZ12345"})),
        (
            "/v1/admin/offices",
            world.client.post("/v1/admin/offices", json=office, headers=world.auth("cnss.admin")),
        ),
    ]
    for path, response in answers:
        assert response.status_code == 404, response.text
        assert "404" in paths[path]["post"]["responses"]


def test_a_date_is_only_what_the_document_says_yyyy_mm_dd(
    world: World, terminal: TestTerminal
) -> None:
    # Pydantic alone reads "0" as the Unix epoch: ?date=0 listed 1970-01-01's settlements.
    waiver = {"starts_on": "86400", "ends_on": "2026-01-31", "reason": "campaign"}
    answers = {
        "date": world.client.get(
            "/v1/finance/settlements?date=0", headers=world.auth("cnss.finance")
        ),
        "starts_on": world.client.post(
            "/v1/admin/surcharge-waivers", json=waiver, headers=world.auth("cnss.admin")
        ),
        "business_date": terminal.send("GET", "/v1/contributions?business_date=0"),
    }
    for name, response in answers.items():
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["field"] == name
    listed = terminal.send("GET", "/v1/contributions?business_date=2026-01-05")
    assert listed.status_code == 200, listed.text
