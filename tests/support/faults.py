"""Fault injection for the end-to-end fault tests (issue 9).

- ``KillableServer``: ``qurb-api serve`` in a process group of its own, so one SIGKILL takes
  the master and every worker at once (a power cut, the OOM killer), then restarted on the
  same database and port.
- ``PrivateCluster``: a throwaway PostgreSQL cluster that can be crashed
  (``pg_ctl stop -m immediate``) and started again, without touching the shared one.
- ``CuttingProxy``: a relay to PostgreSQL that loses one connection at a chosen instant
  (between a transaction's last statement and its ROLLBACK), to make a rare crash timing
  happen on every run.
- ``Counter`` and ``Courier``: simulated terminals whose outbox signs each write once and
  sends the identical bytes until they are answered (docs/protocol.md §6, §12), keeping the
  client's own record of every acknowledgment.
- ``consistency_problems`` and ``audit_findings``: that record compared with the database,
  read with plain SQL, and the audit log verified by ``qurb-audit`` as an auditor would.

Every loop here is bounded by a deadline; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from agent_api.persistence.db import build_engine
from agent_api.services.container import Services, contact_sealer
from agent_api.settings import Settings
from auditor import cli as audit_cli
from tests.e2e.conftest import E2E_PASSWORD, free_port, server_env
from tests.support.log import sequenced
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

COLLECT = "/v1/contributions"
# Codes that are not an answer for an outbox: the same bytes go again (docs/protocol.md §10).
RETRY_CODES = frozenset({"unavailable", "idempotency_in_flight"})
CLIENT_TIMEOUT_S = 15.0


# --- the server ---------------------------------------------------------------------------


class KillableServer:
    """``qurb-api serve`` started in a new session: its process group is the master and its
    workers, and nothing else."""

    def __init__(self, database_url: str, key_dir: Path, log_dir: Path, *, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = server_env(database_url, key_dir)
        self._log_dir = log_dir
        self._workers = workers
        self._logs: list[Path] = []
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> KillableServer:
        self.start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _b: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        log = self._log_dir / f"server-{self.port}-{len(self._logs) + 1}.log"
        self._logs.append(log)
        argv = [sys.executable, "-m", "qurb.cli", "serve", "--port", str(self.port)]
        with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603 - our own command, fixed argv
                [*argv, "--workers", str(self._workers)],
                env=self._env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the server did not start:\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL to the whole group: no worker finishes its request or its transaction."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # The listening socket goes with the last process of the group.
        deadline = time.monotonic() + 10
        while _port_open(self.port):
            assert time.monotonic() < deadline, "killed workers still hold the port"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # A worker the master left behind would keep the database and port busy.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self._logs if p.exists())

    def unexpected_errors(self) -> dict[str, str]:
        """The traceback the server logged for each request it answered with a 500."""
        found = {}
        for line in self.log_text().splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("event") == "unexpected_error":
                    found[str(entry.get("request_id"))] = str(entry.get("exception"))
        return found


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- a private PostgreSQL cluster -----------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port of 127.0.0.1, trust authentication,
    ``synchronous_commit=on``: a COMMIT answered is on disk, and survives a crash."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.directory = Path(tempfile.mkdtemp(prefix="qurb-faults-pg-"))
        self.data = self.directory / "data"

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why this session cannot run a cluster of its own, or None."""
        if os.geteuid() != 0:
            return "not root: cannot run initdb as the postgres user"
        if shutil.which("runuser") is None:
            return "no runuser to run initdb as the postgres user"
        if not (PG_BIN / "initdb").exists():
            return f"no PostgreSQL server binaries in {PG_BIN}"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no postgres user"
        return None

    def __enter__(self) -> PrivateCluster:
        try:
            self._create()
            self.start()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _b: TracebackType | None
    ) -> None:
        self.destroy()

    def _run(self, *argv: str, timeout: float = 60) -> None:
        # PostgreSQL refuses to run as root: every command runs as the postgres user.
        command = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} failed ({done.returncode}):\n"
                f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}"
                f"{self.log_text()}"
            )

    def _create(self) -> None:
        account = pwd.getpwnam("postgres")
        os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        settings = (
            f"port = {self.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.directory}'\n"
            "synchronous_commit = on\n"
            "fsync = on\n"
            "max_connections = 100\n"
            "shared_buffers = 32MB\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def crash(self) -> None:
        """Stop without a shutdown checkpoint: the next start replays the WAL."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_text(self) -> str:
        log = self.directory / "log"
        return log.read_text(errors="replace") if log.exists() else ""


# --- a database connection that breaks at the worst moment --------------------------------


class CuttingProxy:
    """A TCP relay to PostgreSQL that, once armed, cuts the next connection whose client asks
    to end a transaction (``COMMIT`` or ``ROLLBACK``), before the server hears it: the
    connection is lost after a transaction's last statement and before its end, as when
    PostgreSQL crashes between the two. Nothing else is altered."""

    # The simple-query messages psycopg sends to end a transaction (PostgreSQL protocol 3).
    ENDINGS = (b"Q\x00\x00\x00\x0dROLLBACK\x00", b"Q\x00\x00\x00\x0bCOMMIT\x00")

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._armed = threading.Event()
        self.cut = threading.Event()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, name="proxy-accept")]

    def __enter__(self) -> CuttingProxy:
        self._threads[0].start()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _b: TracebackType | None
    ) -> None:
        self._closing.set()
        for sock in self._sockets:
            _shut(sock)
        for thread in self._threads:
            thread.join(10)
        self._listener.close()

    def url(self, database_url: str) -> str:
        """``database_url`` through this proxy."""
        parsed = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return parsed.render_as_string(hide_password=False)

    def arm(self) -> None:
        self.cut.clear()
        self._armed.set()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self._target, timeout=10)
            upstream.settimeout(None)
            client.settimeout(None)
            self._sockets += [client, upstream]
            for source, sink, watch in ((client, upstream, True), (upstream, client, False)):
                pump = threading.Thread(target=self._pump, args=(source, sink, watch))
                self._threads.append(pump)
                pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        try:
            while data := source.recv(65536):
                ending = watch and any(end in data for end in self.ENDINGS)
                if ending and self._armed.is_set():
                    self._armed.clear()
                    self.cut.set()
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source)
            _shut(sink)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# --- simulated terminals and their outboxes ------------------------------------------------


@dataclass(frozen=True)
class Ack:
    """A 201 the terminal received for a write."""

    replayed: bool
    receipt_number: str
    receipt_jws: str
    body: Any


@dataclass
class Write:
    """One signed collection in a terminal's outbox, with every answer it got."""

    sequence: int
    amount_centimes: int
    content: bytes
    headers: dict[str, str]
    acks: list[Ack] = field(default_factory=list)
    refusals: list[tuple[int, str]] = field(default_factory=list)


class Counter:
    """A counter's terminal: activated, its operator signed in, one worker enrolled. Its clock
    is the real one shifted by ``skew``."""

    def __init__(self, office: str, skew: timedelta = timedelta(0)) -> None:
        self.office = office
        self.skew = skew
        # It signs; it sends only while set up (the outbox sends through clients of its own).
        self.terminal = TestTerminal(_Offline(), clock=lambda: datetime.now(UTC) + self.skew)
        self.registration_number = ""
        self.writes: list[Write] = []

    @property
    def terminal_id(self) -> int:
        assert self.terminal.terminal_id is not None
        return self.terminal.terminal_id

    def set_up(self, url: str, activation_code: str, cin: str) -> None:
        with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S) as client:
            self.terminal.client = client
            activated = self.terminal.activate(activation_code)
            assert activated.status_code == 201, activated.text
            signed_in = self.terminal.login(f"op.{self.office.lower()}", E2E_PASSWORD)
            assert signed_in.status_code == 201, signed_in.text
            enrolled = self.terminal.send("POST", "/v1/workers", worker_payload(cin=cin))
            assert enrolled.status_code == 201, enrolled.text
        self.registration_number = enrolled.json()["registration_number"]

    def queue(self, amount_centimes: int) -> Write:
        """Sign a collection now, with the next sequence number, and keep it in the outbox."""
        body = {"registration_number": self.registration_number, "amount_centimes": amount_centimes}
        content = json.dumps(body).encode()
        sequence = self.terminal.next_sequence()
        write = Write(sequence, amount_centimes, content, self._sign(sequence, content))
        self.writes.append(write)
        return write

    def resign(self, write: Write) -> None:
        """Sign the same write again, same sequence number and body, at this clock's time."""
        write.headers = self._sign(write.sequence, write.content)

    def _sign(self, sequence: int, content: bytes) -> dict[str, str]:
        return self.terminal.signed_headers(
            "POST", COLLECT, content, sequence=sequence, token=self.terminal.token
        )

    def acknowledged(self) -> list[Write]:
        return [w for w in self.writes if w.acks]


class _Offline:
    def request(self, method: str, url: str, **_: Any) -> Any:
        raise AssertionError(f"{method} {url}: the terminal sends only through its outbox")


@dataclass(frozen=True)
class Observed:
    """One try as the client saw it: an HTTP answer, or no answer (``error``)."""

    status: int | None
    code: str | None = None
    retry_after: str | None = None
    error: str | None = None
    request_id: str | None = None


class Courier:
    """Delivers signed writes to ``url`` as a terminal's outbox does: the identical bytes
    again after a transport error, a 5xx or a 409 ``idempotency_in_flight``, until an answer
    or the deadline. Every try is observed; acknowledgments are counted as they come."""

    def __init__(self, url: str, *, budget_s: float = 90) -> None:
        self.url = url
        self.deadline = time.monotonic() + budget_s
        self.observed: list[Observed] = []
        self.acknowledged = 0
        self._progress = threading.Condition()

    def deliver(self, write: Write, client: httpx.Client | None = None) -> None:
        """Send one write until it is answered (a 201 or a final refusal)."""
        own = client is None
        client = client or httpx.Client(timeout=CLIENT_TIMEOUT_S)
        try:
            while time.monotonic() < self.deadline:
                if self._try(client, write):
                    return
        finally:
            if own:
                client.close()
        write.refusals.append((0, "gave_up_at_deadline"))

    def _try(self, client: httpx.Client, write: Write) -> bool:
        try:
            response = client.post(self.url + COLLECT, content=write.content, headers=write.headers)
        except httpx.TransportError as exc:
            self._observe(Observed(None, error=type(exc).__name__))
            time.sleep(0.1)
            return False
        code = _error_code(response)
        headers = response.headers
        retry_after, request_id = headers.get("retry-after"), headers.get("x-request-id")
        self._observe(Observed(response.status_code, code, retry_after, request_id=request_id))
        if response.status_code == 201:
            body = response.json()
            ack = Ack(
                replayed=response.headers.get("idempotent-replayed") == "true",
                receipt_number=body["receipt"]["number"],
                receipt_jws=body["receipt"]["receipt"],
                body=body,
            )
            with self._progress:
                write.acks.append(ack)
                self.acknowledged += 1
                self._progress.notify_all()
            return True
        if code in RETRY_CODES or response.status_code >= 500:
            # A refused write stores nothing (docs/protocol.md §6): any 5xx may be sent again.
            # A real terminal honours Retry-After; the tests retry sooner to stay short.
            time.sleep(0.2)
            return False
        write.refusals.append((response.status_code, code or ""))
        return True

    def _observe(self, seen: Observed) -> None:
        with self._progress:
            self.observed.append(seen)

    def drain(self, counter: Counter, *, everything: bool = False) -> None:
        """Send the outbox in order, one write at a time, skipping what is acknowledged
        unless ``everything`` (a terminal that lost its acknowledgments)."""
        with httpx.Client(timeout=CLIENT_TIMEOUT_S) as client:
            for write in counter.writes:
                if everything or not write.acks:
                    self.deliver(write, client)

    def wait_for(self, acknowledged: int, timeout_s: float) -> bool:
        with self._progress:
            return self._progress.wait_for(lambda: self.acknowledged >= acknowledged, timeout_s)


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def drain_all(courier: Courier, counters: Sequence[Counter]) -> threading.Thread:
    """Every counter's outbox drained at once, in the background; join the returned thread."""

    def run() -> None:
        in_threads([functools.partial(courier.drain, c) for c in counters], timeout_s=180)

    thread = threading.Thread(target=run, name="drain-all")
    thread.start()
    return thread


def in_threads(actions: Sequence[Callable[[], object]], *, timeout_s: float) -> None:
    """Run every action in its own thread; fail if one raised or outlived ``timeout_s``."""
    failures: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - carried to the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"a thread outlived {timeout_s} s"
    if failures:
        raise failures[0]


def deliver_duplicated(
    courier: Courier, writes: Sequence[Write], *, seed: int, parallel: int = 6
) -> None:
    """A network that delivers each write 2 or 3 times, the copies concurrent with each other
    and shuffled among the writes that follow (up to three places later)."""
    rng = random.Random(seed)  # noqa: S311 - shuffles deliveries, guards no secret
    copies = [
        (position + rng.uniform(0, 3), write)
        for position, write in enumerate(writes)
        for _ in range(rng.choice((2, 3)))
    ]
    copies.sort(key=lambda c: c[0])
    with ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(courier.deliver, write) for _, write in copies]
        for future in futures:
            future.result(timeout=max(1.0, courier.deadline - time.monotonic() + 30))


# --- the checks -----------------------------------------------------------------------------


def consistency_problems(
    database_url: str, key_dir: Path, counters: Sequence[Counter]
) -> list[str]:
    """Everything wrong between the clients' record, the database and the audit log: lost,
    doubled or half-written collections, replays that differ, totals that do not match.
    ``key_dir`` holds the server's keys: stored responses are sealed at rest."""
    problems: list[str] = []
    with _tables(database_url, key_dir) as t:
        problems += _half_written(t)
        for counter in counters:
            problems += _against_the_record(t, counter)
    return problems


@dataclass
class _Tables:
    contributions: list[tuple[int, int, int, int, int]]  # id, receipt_id, terminal, seq, amount
    receipts: dict[int, tuple[str, str, int, int | None]]  # id → number, kind, terminal, amount
    allocated: dict[int, int]  # contribution id → sum of its allocations
    records: dict[tuple[int, int], tuple[int, str]]  # (terminal, key) → status, body
    leaves: list[dict[str, Any]]  # signed_write leaves, parsed


@contextlib.contextmanager
def _tables(database_url: str, key_dir: Path) -> Iterator[_Tables]:
    settings = Settings(environment="test", database_url=database_url, key_dir=key_dir)
    sealer = contact_sealer(settings.with_keys({}))
    engine = sequenced(build_engine(database_url, pool_size=1))
    try:
        with engine.connect() as c:
            yield _Tables(
                contributions=[
                    (int(i), int(r), int(t), int(s), int(a))
                    for i, r, t, s, a in c.execute(
                        text(
                            "SELECT id, receipt_id, terminal_id, sequence, amount_centimes"
                            " FROM contributions"
                        )
                    )
                ],
                receipts={
                    int(i): (n, k, int(t), None if a is None else int(a))
                    for i, n, k, t, a in c.execute(
                        text("SELECT id, number, kind, terminal_id, amount_centimes FROM receipts")
                    )
                },
                allocated={
                    int(i): int(a)
                    for i, a in c.execute(
                        text(
                            "SELECT contribution_id, SUM(amount_centimes) FROM allocations"
                            " WHERE contribution_id IS NOT NULL GROUP BY contribution_id"
                        )
                    )
                },
                records={
                    (int(t), int(k)): (int(s), sealer.open("response", b) if b else b)
                    for t, k, s, b in c.execute(
                        text(
                            "SELECT terminal_id, key, response_status, response_body"
                            " FROM idempotency_records"
                        )
                    )
                },
                leaves=[
                    json.loads(d)
                    for (d,) in c.execute(
                        text(
                            "SELECT data FROM audit_leaves WHERE kind = 'signed_write'"
                            " ORDER BY leaf_index"
                        )
                    )
                ],
            )
    finally:
        engine.dispose()


def _half_written(t: _Tables) -> list[str]:
    """A write is its effect, its receipt, its allocations, its idempotency record with a
    final status and its audit leaf, all or nothing."""
    problems = []
    leaves = Tally((leaf["terminal_id"], leaf["sequence"]) for leaf in t.leaves)
    problems += [f"{k} logged {n} times" for k, n in leaves.items() if n > 1]
    by_sequence = {(leaf["terminal_id"], leaf["sequence"]): leaf for leaf in t.leaves}
    for id_, receipt_id, terminal, sequence, amount in t.contributions:
        where = f"contribution {id_} (terminal {terminal}, sequence {sequence})"
        receipt = t.receipts.get(receipt_id)
        if receipt is None or receipt[1:] != ("collection", terminal, amount):
            problems.append(f"{where}: receipt {receipt} does not match")
        if t.allocated.get(id_) != amount:
            problems.append(f"{where}: allocations sum {t.allocated.get(id_)} ≠ {amount}")
        record = t.records.get((terminal, sequence))
        number = receipt[0] if receipt else None
        if record is None or record[0] != 201 or _receipt_of(record[1]) != number:
            problems.append(f"{where}: idempotency record {record and record[0]} lacks {number}")
    collected = {r for _, r, *_ in t.contributions}
    for id_, (number, kind, _, _) in t.receipts.items():
        if kind == "collection" and id_ not in collected:
            problems.append(f"receipt {number} issued without its collection")
    with_effect = {(terminal, s) for _, _, terminal, s, _ in t.contributions}
    for key, (status, body) in t.records.items():
        leaf = by_sequence.get(key)
        if status < 200 or status >= 400:
            problems.append(f"idempotency record {key} has status {status}, not a final one")
        if leaf is None or leaf["decision"]["status"] != status:
            problems.append(f"idempotency record {key} ({status}) has no matching audit leaf")
        elif leaf["request"]["path"] == COLLECT and key not in with_effect:
            problems.append(f"idempotency record {key} has no collection")
        elif _receipt_of(body) != leaf["decision"].get("receipt"):
            problems.append(f"idempotency record {key} and its leaf name other receipts")
    problems += [f"audit leaf {k} has no idempotency record" for k in leaves if k not in t.records]
    return problems


def _receipt_of(body: str) -> str | None:
    parsed = json.loads(body) if body else None
    receipt = parsed.get("receipt") if isinstance(parsed, dict) else None
    return receipt.get("number") if isinstance(receipt, dict) else None


def _against_the_record(t: _Tables, counter: Counter) -> list[str]:
    """Every write the terminal saw acknowledged is recorded once, as acknowledged; nothing
    else of this terminal is recorded."""
    problems = []
    terminal = counter.terminal_id
    mine = [c for c in t.contributions if c[2] == terminal]
    numbers = Tally(t.receipts[r][0] for _, r, *_ in mine if r in t.receipts)
    logged = Tally(leaf["decision"].get("receipt") for leaf in t.leaves)
    for write in counter.writes:
        where = f"{counter.office} sequence {write.sequence}"
        if not write.acks:
            problems.append(f"{where}: never acknowledged ({write.refusals[-3:]})")
            continue
        first = write.acks[0]
        if any(a.receipt_jws != first.receipt_jws or a.body != first.body for a in write.acks):
            problems.append(f"{where}: acknowledged with different receipts")
        if sum(not a.replayed for a in write.acks) > 1:
            problems.append(f"{where}: performed more than once (two original answers)")
        if numbers[first.receipt_number] != 1 or logged[first.receipt_number] != 1:
            problems.append(
                f"{where}: receipt {first.receipt_number} recorded "
                f"{numbers[first.receipt_number]} times, logged {logged[first.receipt_number]}"
            )
        row = [c for c in mine if c[3] == write.sequence]
        if [(c[4]) for c in row] != [write.amount_centimes]:
            problems.append(f"{where}: recorded as {row}, acknowledged {write.amount_centimes}")
    acknowledged = counter.acknowledged()
    client = (len(acknowledged), sum(w.amount_centimes for w in acknowledged))
    database = (len(mine), sum(c[4] for c in mine))
    if client != database:
        problems.append(f"{counter.office}: client counts {client}, the database {database}")
    return problems


def audit_findings(database_url: str, key_dir: Path, workdir: Path) -> list[str]:
    """Sign a checkpoint of the log as it is, export it and verify it with ``qurb-audit``
    against the published keys: its findings, one a line (none when the log is clean)."""
    settings = Settings(environment="test", database_url=database_url, key_dir=key_dir)
    engine = build_engine(database_url, pool_size=1)
    try:
        services = Services.build(settings.with_keys({}), engine)
        services.audit.checkpoint()
        key = services.audit.verifier_key()
        jwks = workdir / "keys.json"
        jwks.write_text(json.dumps(services.jwks))
    finally:
        engine.dispose()
    exported = workdir / "audit-export.json"
    status, _ = _audit(["export", "--database-url", database_url, "--output", str(exported)])
    assert status == 0, _
    status, printed = _audit(["verify", str(exported), "--key", key, "--jwks", str(jwks)])
    *findings, summary = printed.splitlines()
    assert status in (0, 1), printed
    assert summary.endswith("clean") == (status == 0) == (not findings), printed
    assert " 0 signatures verified" not in summary, printed
    return findings


def _audit(argv: list[str]) -> tuple[int, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status = audit_cli.main(argv)
    return status, printed.getvalue()
