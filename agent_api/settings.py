"""Service settings, read from ``QURB_*`` environment variables.

``Settings`` is a frozen value built once by the composition root (or directly by a test);
nothing reads the environment at import time. Signing keys are typed secrets: in
``development`` a missing key is generated once into ``QURB_KEY_DIR`` (mode 0600) so the demo
needs no set-up; in ``production`` a missing or placeholder key stops the service at start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from agent_api.domain.business_day import parse_cutoff
from agent_api.errors import ConfigurationError
from agent_api.protocol.cosignature import CosignerKey
from agent_api.protocol.errors import NoteMalformedError
from agent_api.secrets import (
    Secret,
    new_ed25519_pem,
    new_symmetric_key_text,
    parse_ed25519_private_key,
    parse_symmetric_key,
    read_secret,
    write_private_file,
)

Environment = Literal["development", "test", "production"]

# name -> kind; each is read from QURB_<NAME> or QURB_<NAME>_FILE.
KEY_KINDS: dict[str, Literal["ed25519", "symmetric"]] = {
    "TOKEN_SIGNING_KEY": "ed25519",  # signs operator and back-office JWTs
    "RECEIPT_SIGNING_KEY": "ed25519",  # the CNSS receipt key
    "LOG_SIGNING_KEY": "ed25519",  # signs audit-log checkpoints
    "CIN_ENCRYPTION_KEY": "symmetric",  # AES-256-GCM key for CINs at rest
    "CIN_INDEX_KEY": "symmetric",  # HMAC key of the CIN blind index
    # Master key of phones, addresses, amendment values and stored responses at rest
    # (one AES-256-GCM key derived per purpose: agent_api/persistence/sealing.py).
    "CONTACT_ENCRYPTION_KEY": "symmetric",
}


# An operator token outliving a working day is a stolen-token window with no benefit.
MAX_OPERATOR_TOKEN_TTL = 12 * 3600


@dataclass(frozen=True)
class Settings:
    environment: Environment = "development"
    database_url: str = "sqlite:///./qurb.db"
    key_dir: Path = Path(".qurb/keys")
    keys: Mapping[str, Secret] = field(default_factory=dict)
    # Retired CIN encryption keys (base64, comma-separated): rows sealed under them still open
    # after QURB_CIN_ENCRYPTION_KEY rotates; new rows are sealed with the current key.
    previous_cin_keys: Secret = field(default_factory=lambda: Secret(""))
    # The same for QURB_CONTACT_ENCRYPTION_KEY (QURB_CONTACT_PREVIOUS_ENCRYPTION_KEYS).
    previous_contact_keys: Secret = field(default_factory=lambda: Secret(""))

    token_issuer: str = "qurb"  # noqa: S105 - the JWT iss claim, not a secret
    admin_token_ttl_seconds: int = 30 * 60
    operator_token_ttl_seconds: int = 8 * 3600

    # argon2id cost; tests lower it so hashing does not dominate the suite.
    password_time_cost: int = 3
    password_memory_kib: int = 64 * 1024
    max_failed_logins: int = 5
    lockout_seconds: int = 15 * 60
    # Password hashes run on threads of their own, never on those serving signed writes; past
    # threads + queue waiting, a sign-in is refused at once (429) rather than queued.
    password_hash_threads: int = 1
    password_hash_queue: int = 8
    # Back-office sign-in attempts admitted per source address and per username within the
    # window, whether or not the username exists; a successful sign-in does not count.
    sign_in_window_seconds: int = 5 * 60
    sign_in_per_source: int = 30
    sign_in_per_username: int = 10

    activation_code_ttl_seconds: int = 72 * 3600
    max_activation_attempts: int = 5
    # A terminal that fails this many operator sign-ins within the window is throttled.
    terminal_login_failures: int = 10
    terminal_login_window_seconds: int = 15 * 60
    # A terminal reading more distinct workers by registration number than this, none of
    # whom it took a payment for within the window, is refused (429) and reported: a counter
    # serves workers who pay; a harvest of the registry reads everyone (issue 16).
    worker_reads_limit: int = 30
    worker_reads_window_seconds: int = 3600

    # RFC 9421 "created" must be within ±window of server time; a write marked Qurb-Offline
    # may be up to offline_window old (store-and-forward through a network outage).
    signature_window_seconds: int = 300
    offline_window_seconds: int = 72 * 3600
    # How long a retried write waits for the first one still in flight before getting 409.
    idempotency_wait_ms: int = 2000

    # Enrollment rules (docs/enrollment.md): configuration, not constants.
    worker_min_age: int = 18
    spouse_min_age: int = 18
    max_spouses: int = 4
    child_max_age: int = 21
    student_max_age: int = 26
    # A person covered as someone's dependent may not also enroll as a principal worker
    # unless this explicit rule allows it.
    allow_dependent_as_principal: bool = False
    coverage_start_max_past_months: int = 12
    coverage_start_max_future_months: int = 3

    # Collections (docs in README): a ceiling per collection, how far ahead a surplus may
    # prepay, the late surcharge (off by default), the health-rights grace and waiting.
    max_collection_centimes: int = 5_000_000
    prepay_horizon_months: int = 12
    surcharge_bps_per_month: int = 0
    surcharge_after_months: int = 1
    rights_grace_months: int = 3
    rights_waiting_months: int = 3
    business_day_cutoff: time = time(0, 0)
    # AMO reimbursement files: days after the last day of care a file may be deposited
    # before the counter warns that CNSS will likely refuse it (docs/deposits.md).
    deposit_deadline_days: int = 60
    # Days after a transmittal slip leaves before CNSS's silence about it is an exception.
    transmittal_ack_days: int = 5

    # The audit log's name (its checkpoints' origin and key name) and how often the service
    # signs a checkpoint when the log grew (0: only at day close and on demand).
    log_origin: str = "qurb.cnss.ma/audit"
    # At most ten minutes: a leaf is promised to be in a checkpoint within the hour.
    checkpoint_interval_seconds: int = 60
    # How often each process's sequencer looks for entries no write's own nudge integrated
    # (their writer's process died, or another sequencer held the lock): 0 = never.
    sequence_interval_ms: int = 100
    # Independent witnesses (C2SP tlog-witness) each new checkpoint is submitted to, as
    # (submission URL prefix, witness vkey) pairs: QURB_WITNESSES="URL VKEY; URL VKEY".
    # A submission waits at most the timeout per request; it runs after the checkpoint is
    # signed, in the background, never on a request's path (docs/witnesses.md).
    witnesses: tuple[tuple[str, str], ...] = ()
    witness_timeout_ms: int = 3000

    max_body_bytes: int = 64 * 1024
    # A day's ledger or bank file uploaded through the back office: ~90,000 lines a day at
    # ~150 bytes is ~14 MB; 64 MiB leaves room for a catch-up of several days in one file.
    max_upload_bytes: int = 64 * 1024 * 1024
    db_pool_size: int = 10
    # Threads per worker process that run the blocking part of requests (database, keys).
    # Fewer contend less for the interpreter's lock (2 make about 8 % more collections back
    # to back, bench/load.py --threads), but a login's password hash or a slow read holds its
    # thread: 6 leave room for a burst of them beside the collections.
    worker_threads: int = 6
    log_level: str = "INFO"

    def key_text(self, name: str) -> Secret:
        try:
            return self.keys[name]
        except KeyError:
            raise ConfigurationError(f"key {name} is not configured") from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = dict(os.environ if env is None else env)
        environment = source.get("QURB_ENV", "development")
        if environment not in ("development", "test", "production"):
            raise ConfigurationError("QURB_ENV must be one of development, test, production")
        base = cls(
            environment=environment,  # type: ignore[arg-type]  # checked just above
            database_url=source.get("QURB_DATABASE_URL", cls.database_url),
            key_dir=Path(source.get("QURB_KEY_DIR", str(cls.key_dir))),
            token_issuer=source.get("QURB_TOKEN_ISSUER", cls.token_issuer),
            admin_token_ttl_seconds=_int(source, "ADMIN_TOKEN_TTL_SECONDS", 30 * 60),
            operator_token_ttl_seconds=_int(source, "OPERATOR_TOKEN_TTL_SECONDS", 8 * 3600),
            password_time_cost=_int(source, "PASSWORD_TIME_COST", 3),
            password_memory_kib=_int(source, "PASSWORD_MEMORY_KIB", 64 * 1024),
            max_failed_logins=_int(source, "MAX_FAILED_LOGINS", 5),
            lockout_seconds=_int(source, "LOCKOUT_SECONDS", 15 * 60),
            password_hash_threads=_int(source, "PASSWORD_HASH_THREADS", 1, minimum=1),
            password_hash_queue=_int(source, "PASSWORD_HASH_QUEUE", 8, minimum=0),
            sign_in_window_seconds=_int(source, "SIGN_IN_WINDOW_SECONDS", 300, minimum=1),
            sign_in_per_source=_int(source, "SIGN_IN_PER_SOURCE", 30, minimum=1),
            sign_in_per_username=_int(source, "SIGN_IN_PER_USERNAME", 10, minimum=1),
            activation_code_ttl_seconds=_int(source, "ACTIVATION_CODE_TTL_SECONDS", 72 * 3600),
            max_activation_attempts=_int(source, "MAX_ACTIVATION_ATTEMPTS", 5),
            terminal_login_failures=_int(source, "TERMINAL_LOGIN_FAILURES", 10),
            terminal_login_window_seconds=_int(source, "TERMINAL_LOGIN_WINDOW_SECONDS", 900),
            worker_reads_limit=_int(source, "WORKER_READS_LIMIT", 30),
            worker_reads_window_seconds=_int(source, "WORKER_READS_WINDOW_SECONDS", 3600),
            signature_window_seconds=_int(source, "SIGNATURE_WINDOW_SECONDS", 300),
            offline_window_seconds=_int(source, "OFFLINE_WINDOW_SECONDS", 72 * 3600),
            idempotency_wait_ms=_int(source, "IDEMPOTENCY_WAIT_MS", 2000),
            max_collection_centimes=_int(source, "MAX_COLLECTION_CENTIMES", 5_000_000),
            prepay_horizon_months=_int(source, "PREPAY_HORIZON_MONTHS", 12),
            surcharge_bps_per_month=_int(source, "SURCHARGE_BPS_PER_MONTH", 0, minimum=0),
            surcharge_after_months=_int(source, "SURCHARGE_AFTER_MONTHS", 1, minimum=0),
            rights_grace_months=_int(source, "RIGHTS_GRACE_MONTHS", 3, minimum=0),
            rights_waiting_months=_int(source, "RIGHTS_WAITING_MONTHS", 3, minimum=0),
            deposit_deadline_days=_int(source, "DEPOSIT_DEADLINE_DAYS", 60, minimum=1),
            transmittal_ack_days=_int(source, "TRANSMITTAL_ACK_DAYS", 5, minimum=1),
            business_day_cutoff=_cutoff(source),
            worker_min_age=_int(source, "WORKER_MIN_AGE", 18),
            spouse_min_age=_int(source, "SPOUSE_MIN_AGE", 18),
            max_spouses=_int(source, "MAX_SPOUSES", 4),
            child_max_age=_int(source, "CHILD_MAX_AGE", 21),
            student_max_age=_int(source, "STUDENT_MAX_AGE", 26),
            allow_dependent_as_principal=source.get("QURB_ALLOW_DEPENDENT_AS_PRINCIPAL", "0")
            in ("1", "true", "yes"),
            coverage_start_max_past_months=_int(source, "COVERAGE_START_MAX_PAST_MONTHS", 12),
            coverage_start_max_future_months=_int(source, "COVERAGE_START_MAX_FUTURE_MONTHS", 3),
            log_origin=source.get("QURB_LOG_ORIGIN", cls.log_origin),
            checkpoint_interval_seconds=_int(
                source, "CHECKPOINT_INTERVAL_SECONDS", 60, minimum=0, maximum=600
            ),
            sequence_interval_ms=_int(
                source, "SEQUENCE_INTERVAL_MS", 100, minimum=0, maximum=60_000
            ),
            witnesses=parse_witnesses(source.get("QURB_WITNESSES", "")),
            witness_timeout_ms=_int(source, "WITNESS_TIMEOUT_MS", 3000, minimum=100),
            max_body_bytes=_int(source, "MAX_BODY_BYTES", 64 * 1024),
            max_upload_bytes=_int(source, "MAX_UPLOAD_BYTES", 64 * 1024 * 1024),
            db_pool_size=_int(source, "DB_POOL_SIZE", 10),
            worker_threads=_int(source, "WORKER_THREADS", 6, minimum=1),
            log_level=source.get("QURB_LOG_LEVEL", "INFO"),
        )
        if base.operator_token_ttl_seconds > MAX_OPERATOR_TOKEN_TTL:
            raise ConfigurationError("QURB_OPERATOR_TOKEN_TTL_SECONDS must be at most 43200 (12 h)")
        keys = {name: s for name in KEY_KINDS if (s := read_secret(source, name)) is not None}
        previous = _previous_keys(source, "CIN_PREVIOUS_ENCRYPTION_KEYS")
        contact = _previous_keys(source, "CONTACT_PREVIOUS_ENCRYPTION_KEYS")
        return replace(base, previous_cin_keys=previous, previous_contact_keys=contact).with_keys(
            keys
        )

    def with_keys(self, keys: Mapping[str, Secret]) -> Settings:
        """Validate the given keys; complete the missing ones (development/test only)."""
        complete = dict(keys)
        for name, kind in KEY_KINDS.items():
            secret = complete.get(name)
            if secret is None or secret.is_placeholder():
                if self.environment == "production":
                    state = "missing" if secret is None else "a placeholder"
                    raise ConfigurationError(
                        f"QURB_{name} is {state}; production needs a real key "
                        f"(QURB_{name} or QURB_{name}_FILE)"
                    )
                secret = self._generated_key(name, kind)
                complete[name] = secret
            _check_key(name, kind, secret)
        return replace(self, keys=complete)

    def _generated_key(self, name: str, kind: str) -> Secret:
        path = self.key_dir / f"{name.lower()}.{'pem' if kind == 'ed25519' else 'key'}"
        if not path.exists():
            text = new_ed25519_pem() if kind == "ed25519" else new_symmetric_key_text()
            # Another worker may have generated it first: then read theirs.
            with contextlib.suppress(FileExistsError):
                write_private_file(path, text)
        return Secret(path.read_text(encoding="utf-8"))


def _previous_keys(source: Mapping[str, str], name: str) -> Secret:
    """Retired symmetric keys, base64 and comma-separated, each checked (never shown)."""
    previous = read_secret(source, name) or Secret("")
    for part in filter(None, (p.strip() for p in previous.reveal().split(","))):
        try:
            parse_symmetric_key(part)
        except ValueError as exc:
            raise ConfigurationError(f"QURB_{name} holds an invalid key: {exc}") from None
    return previous


def parse_witnesses(raw: str) -> tuple[tuple[str, str], ...]:
    """``URL VKEY; URL VKEY``: each witness's submission prefix (http or https, no query) and
    its cosigner key (type 0x04 vkey); a key given twice is refused."""
    witnesses: list[tuple[str, str]] = []
    for number, entry in enumerate(filter(None, (p.strip() for p in raw.split(";"))), 1):
        parts = entry.split()
        if len(parts) != 2:
            raise ConfigurationError(f"QURB_WITNESSES entry {number} must be 'URL VKEY'")
        url, vkey = parts
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigurationError(
                f"QURB_WITNESSES entry {number}: the URL must be http(s)://host[:port][/prefix]"
            )
        if parsed.query or parsed.fragment or parsed.username or parsed.password:
            raise ConfigurationError(
                f"QURB_WITNESSES entry {number}: the URL takes no query, fragment or user"
            )
        try:
            CosignerKey.from_string(vkey)
        except NoteMalformedError as exc:
            raise ConfigurationError(
                f"QURB_WITNESSES entry {number}: the witness key is not valid ({exc.message})"
            ) from None
        if any(vkey == known for _, known in witnesses):
            raise ConfigurationError(f"QURB_WITNESSES entry {number}: that witness key is repeated")
        witnesses.append((url.rstrip("/"), vkey))
    return tuple(witnesses)


def _int(
    source: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int = 1,
    maximum: int | None = None,
) -> int:
    raw = source.get(f"QURB_{name}")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"QURB_{name} must be a whole number") from None
    if value < minimum:
        raise ConfigurationError(f"QURB_{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(f"QURB_{name} must be at most {maximum}")
    return value


def _cutoff(source: Mapping[str, str]) -> time:
    raw = source.get("QURB_BUSINESS_DAY_CUTOFF", "00:00")
    try:
        return parse_cutoff(raw)
    except ValueError:
        raise ConfigurationError("QURB_BUSINESS_DAY_CUTOFF must be HH:MM") from None


def _check_key(name: str, kind: str, secret: Secret) -> None:
    try:
        if kind == "ed25519":
            parse_ed25519_private_key(secret.reveal())
        else:
            parse_symmetric_key(secret.reveal())
    except ValueError as exc:
        # The reason names the expected shape, never the value.
        raise ConfigurationError(f"QURB_{name} is not a valid {kind} key: {exc}") from None
