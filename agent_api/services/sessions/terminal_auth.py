"""Terminals as signers: resolving a request's key, activation with a one-time code, key
rotation, and operator sign-in on a terminal.

Steps that must leave a trace even when the request fails (a wrong activation code, a wrong
password) commit in their own short transaction before the idempotent write opens; the
write itself (registering the key, opening the session) runs inside the caller's unit of
work, claimed by the terminal's sequence number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from cryptography.exceptions import InvalidSignature
from sqlalchemy import Engine, case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from agent_api.clock import Clock
from agent_api.domain import activation
from agent_api.domain.registry import NetworkStatus, OfficeStatus, TerminalStatus, UserStatus
from agent_api.domain.roles import OFFICE_ROLES, Actor, Role
from agent_api.errors import (
    AccountLocked,
    AlreadyExists,
    AuthenticationFailed,
    Conflict,
    Forbidden,
    ValidationFailed,
)
from agent_api.persistence.tables import Network, Office, Terminal, TerminalKey, User, UserSession
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.protocol.keys import keyid as keyid_of
from agent_api.protocol.keys import (
    public_key_from_raw,
    public_raw_from_b64url,
    public_raw_to_b64url,
    rotation_proof_message,
)
from agent_api.services.sessions.auth import AuthService
from agent_api.services.sessions.request_gate import GateRow, SessionRow, read_gate
from agent_api.services.sessions.security_events import SecurityEventService, record_event
from agent_api.services.sessions.sign_in_throttle import TooManyAttempts
from agent_api.services.sessions.tokens import TERMINAL_AUDIENCE, TokenSigner


@dataclass(frozen=True)
class TerminalContext:
    """The terminal behind a verified key."""

    terminal_id: int
    keyid: str
    key_status: str  # active, or retired (good only to replay a stored response)
    public_key: bytes
    office_id: int
    office_code: str
    network_id: int
    network_code: str


@dataclass(frozen=True)
class ActivatedTerminal:
    terminal_id: int
    label: str
    keyid: str
    office_code: str
    office_name: str
    office_city: str
    network_code: str
    network_name: str


@dataclass(frozen=True)
class RotatedKey:
    terminal_id: int
    keyid: str
    previous_keyid: str


@dataclass(frozen=True)
class OperatorSession:
    token: str
    expires_at: datetime
    username: str
    full_name: str
    role: str
    office: str
    network: str


class TerminalAuthService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        auth: AuthService,
        signer: TokenSigner,
        events: SecurityEventService,
        *,
        engine: Engine,
        operator_ttl_seconds: int,
        max_activation_attempts: int,
        login_failures: int,
        login_window_seconds: int,
    ) -> None:
        self._uow = uow
        self._engine = engine
        self._clock = clock
        self._auth = auth
        self._signer = signer
        self._events = events
        self._operator_ttl = operator_ttl_seconds
        self._max_attempts = max_activation_attempts
        self._login_failures = login_failures
        self._login_window = timedelta(seconds=login_window_seconds)

    # -- every signed request -------------------------------------------------------------
    def resolve(self, keyid: str) -> TerminalContext:
        """The terminal that owns ``keyid``, refusing revoked keys and suspended terminals."""
        return self.terminal_of(read_gate(self._engine, keyid, sequence=None, jti=None), keyid)

    def gate(
        self, keyid: str, *, sequence: int | None, jti: str | None
    ) -> tuple[TerminalContext, GateRow]:
        """One read for everything a signed request needs before its handler: the terminal
        behind ``keyid`` (refused when revoked or suspended), the record of ``sequence`` and
        the session ``jti``."""
        row = read_gate(self._engine, keyid, sequence=sequence, jti=jti)
        terminal = self.terminal_of(row, keyid)
        assert row is not None
        return terminal, row

    def terminal_of(self, row: GateRow | None, keyid: str) -> TerminalContext:
        if row is None:
            raise AuthenticationFailed("the signing key is not registered", code="unknown_key")
        if row.key_status == "revoked" or row.terminal_status == TerminalStatus.REVOKED:
            self._events.record("revoked_key_used", terminal_id=row.terminal_id, keyid=keyid)
            raise AuthenticationFailed("the signing key is revoked", code="key_revoked")
        if row.terminal_status != TerminalStatus.ACTIVE:
            raise Forbidden("this terminal is suspended", code="terminal_suspended")
        if row.network_status != NetworkStatus.ACTIVE:
            raise Forbidden(f"network {row.network_code} is suspended", code="network_suspended")
        if row.office_status != OfficeStatus.ACTIVE:
            raise Forbidden(f"office {row.office_code} is suspended", code="office_suspended")
        return TerminalContext(
            terminal_id=row.terminal_id,
            keyid=keyid,
            key_status=row.key_status,
            public_key=public_raw_from_b64url(row.public_key),
            office_id=row.office_id,
            office_code=row.office_code,
            network_id=row.network_id,
            network_code=row.network_code,
        )

    def authenticate_operator(
        self,
        claims: dict[str, Any],
        session: SessionRow | None,
        terminal: TerminalContext,
        *,
        at: datetime | None = None,
    ) -> Actor:
        """The operator behind verified token ``claims`` and their stored ``session``, on
        this terminal (the token is bound to its key) and of this office."""
        actor = self._auth.check_session(
            claims,
            session,
            audience=TERMINAL_AUDIENCE,
            bound_keyid=terminal.keyid,
            now=at if at is not None else self._clock(),
            offline=at is not None,
        )
        if actor.office_id != terminal.office_id:
            raise Forbidden("the operator does not belong to this office", code="wrong_office")
        return actor

    # -- activation -----------------------------------------------------------------------
    def check_activation_code(self, code: str) -> tuple[int, str]:
        """(terminal id, secret) of a code that may activate now; counts wrong attempts."""
        parsed = activation.parse_code(code)
        if parsed is None:
            raise ValidationFailed(
                "activation_code: is not of the form <id>-XXXX-XXXX-XXXX", field="activation_code"
            )
        terminal_id, secret = parsed
        now = self._clock()
        with self._uow() as uow:
            terminal = uow.session.get(Terminal, terminal_id)
            if terminal is None or terminal.activation_secret_hash is None:
                raise AuthenticationFailed(
                    "the activation code is not valid", code="activation_code_invalid"
                )
            if terminal.activation_attempts >= self._max_attempts:
                raise AuthenticationFailed(
                    "too many wrong attempts: ask the network admin for a new code",
                    code="activation_code_exhausted",
                )
            if not activation.secret_matches(secret, terminal.activation_secret_hash):
                uow.session.execute(
                    update(Terminal)
                    .where(Terminal.id == terminal_id)  # type: ignore[arg-type]
                    .values(activation_attempts=Terminal.activation_attempts + 1)
                )
                record_event(uow.session, at=now, kind="activation_failed", terminal_id=terminal_id)
                uow.commit()
                raise AuthenticationFailed(
                    "the activation code is not valid", code="activation_code_invalid"
                )
            _check_activatable(terminal, now)
        return terminal_id, secret

    def activate(
        self, uow: UnitOfWork, terminal_id: int, secret: str, public_raw: bytes
    ) -> ActivatedTerminal:
        now = self._clock()
        session = uow.session
        terminal = session.exec(
            select(Terminal).where(Terminal.id == terminal_id).with_for_update()
        ).one()
        # Checked again under the row lock: two activations racing with one code.
        if terminal.activation_secret_hash is None or not activation.secret_matches(
            secret, terminal.activation_secret_hash
        ):
            raise Conflict("this code was used meanwhile", code="terminal_not_pending")
        _check_activatable(terminal, now)
        office = session.get(Office, terminal.office_id)
        assert office is not None
        network = session.get(Network, office.network_id)
        assert network is not None
        if network.status != NetworkStatus.ACTIVE or office.status != OfficeStatus.ACTIVE:
            raise Forbidden("the office or its network is suspended", code="office_suspended")
        keyid = keyid_of(public_raw)
        _add_key(session, terminal_id, keyid, public_raw, now)
        terminal.status = TerminalStatus.ACTIVE
        terminal.activated_at = now
        terminal.activation_secret_hash = None
        terminal.activation_expires_at = None
        session.add(terminal)
        return ActivatedTerminal(
            terminal_id=terminal_id,
            label=terminal.label,
            keyid=keyid,
            office_code=office.code,
            office_name=office.name,
            office_city=office.city,
            network_code=network.code,
            network_name=network.name,
        )

    # -- rotation -------------------------------------------------------------------------
    def rotate(
        self, uow: UnitOfWork, terminal: TerminalContext, new_raw: bytes, proof: bytes
    ) -> RotatedKey:
        new_keyid = keyid_of(new_raw)
        message = rotation_proof_message(terminal.terminal_id, terminal.keyid, new_keyid)
        try:
            public_key_from_raw(new_raw).verify(proof, message)
        except InvalidSignature:
            raise ValidationFailed(
                "proof: is not the new key's signature of the rotation message", field="proof"
            ) from None
        now = self._clock()
        session = uow.session
        retired = session.execute(
            update(TerminalKey)
            .where(TerminalKey.keyid == terminal.keyid)  # type: ignore[arg-type]
            .where(TerminalKey.status == "active")  # type: ignore[arg-type]
            .values(status="retired", retired_at=now)
        )
        if retired.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("this key was rotated meanwhile", code="key_already_rotated")
        session.flush()
        _add_key(session, terminal.terminal_id, new_keyid, new_raw, now)
        # Tokens are bound to the old key: its sessions end, operators sign in again.
        session.execute(
            update(UserSession)
            .where(UserSession.terminal_keyid == terminal.keyid)  # type: ignore[arg-type]
            .where(UserSession.ended_at.is_(None))  # type: ignore[union-attr]
            .values(ended_at=now)
        )
        return RotatedKey(terminal.terminal_id, new_keyid, terminal.keyid)

    # -- operator sign-in -----------------------------------------------------------------
    async def check_operator(self, terminal: TerminalContext, username: str, password: str) -> User:
        """The operator signing in on this terminal; throttles the terminal on failures."""
        now = self._clock()
        window_start = now - self._login_window
        await to_thread.run_sync(self._refuse_if_throttled, terminal, window_start)
        try:
            user = await self._auth.check_password(username, password)
        except AuthenticationFailed:
            await to_thread.run_sync(self._count_login_failure, terminal, now, window_start)
            raise
        role = Role(user.role)
        if role not in OFFICE_ROLES:
            raise Forbidden(
                "back-office users sign in at /v1/admin/sessions", code="wrong_sign_in_path"
            )
        if user.office_id != terminal.office_id:
            raise Forbidden("the operator does not belong to this office", code="wrong_office")
        return user

    async def check_supervisor(
        self, terminal: TerminalContext, username: str, password: str
    ) -> User:
        """The active supervisor of this terminal's office who approves a reversal.

        Every failure gets one answer (401 ``invalid_credentials``, field ``supervisor``): a
        wrong password, the right password of an operator, of another office's supervisor
        or of a back-office account, an unknown or suspended user. Otherwise this endpoint,
        open to any operator, would tell them which password is right.

        The failures do not count toward the supervisor's lockout: they are typed at an
        operator's terminal, and a rogue operator would lock their supervisor out of their
        own counter with five wrong passwords. They count instead toward this terminal's
        sign-in throttle (the same budget as operator sign-ins: guessing stops there, at
        the guesser's own terminal) and each is a security event the network admin sees. A
        supervisor already locked (by failures where they sign in) is refused (423).
        """
        now = self._clock()
        window_start = now - self._login_window
        await to_thread.run_sync(self._refuse_if_throttled, terminal, window_start)
        try:
            return await self._auth.check_password(
                username,
                password,
                accept=lambda u: (
                    u.role == Role.SUPERVISOR
                    and u.office_id == terminal.office_id
                    and u.status == UserStatus.ACTIVE
                ),
                count_failures=False,
            )
        except AccountLocked:
            raise AccountLocked(
                "the supervisor's account is locked after too many wrong passwords; another "
                "supervisor of this office may approve (the operator's own session is "
                "unaffected)",
                field="supervisor",
            ) from None
        except AuthenticationFailed:
            await to_thread.run_sync(
                self._count_login_failure, terminal, now, window_start, "supervisor_refused"
            )
            raise AuthenticationFailed(
                "the approval was refused: it needs the username and password of an active "
                "supervisor of this office (the operator's own session is unaffected)",
                code="invalid_credentials",
                field="supervisor",
            ) from None

    def _refuse_if_throttled(self, terminal: TerminalContext, window_start: datetime) -> None:
        with self._uow() as uow:
            row = uow.session.get(Terminal, terminal.terminal_id)
            assert row is not None
            started = row.login_window_started_at
            if (
                row.login_failures >= self._login_failures
                and started is not None
                and started > window_start
            ):
                wait = started - window_start
                raise TooManyAttempts(
                    "too many refused passwords on this terminal; wait and retry",
                    retry_after_seconds=max(1, math.ceil(wait.total_seconds())),
                )

    def _count_login_failure(
        self,
        terminal: TerminalContext,
        now: datetime,
        window_start: datetime,
        event: str | None = None,
    ) -> None:
        stale = (Terminal.login_window_started_at.is_(None)) | (  # type: ignore[union-attr]
            Terminal.login_window_started_at < window_start  # type: ignore[operator]
        )
        with self._uow() as uow:
            # One atomic statement: concurrent failures all count, and an old window restarts.
            uow.session.execute(
                update(Terminal)
                .where(Terminal.id == terminal.terminal_id)  # type: ignore[arg-type]
                .values(
                    login_failures=case((stale, 1), else_=Terminal.login_failures + 1),
                    login_window_started_at=case(
                        (stale, now), else_=Terminal.login_window_started_at
                    ),
                )
            )
            if event is not None:
                record_event(uow.session, at=now, kind=event, terminal_id=terminal.terminal_id)
            uow.commit()

    def open_session(
        self, uow: UnitOfWork, terminal: TerminalContext, user: User
    ) -> OperatorSession:
        now = self._clock()
        issued = self._signer.issue(
            subject=user.username,
            audience=TERMINAL_AUDIENCE,
            role=user.role,
            now=now,
            ttl_seconds=self._operator_ttl,
            extra={
                "office": terminal.office_code,
                "network": terminal.network_code,
                "cnf": {"jkt": terminal.keyid},
            },
        )
        assert user.id is not None
        uow.session.add(
            UserSession(
                jti=issued.jti,
                user_id=user.id,
                audience=TERMINAL_AUDIENCE,
                terminal_keyid=terminal.keyid,
                issued_at=now,
                expires_at=issued.expires_at,
                ended_at=None,
            )
        )
        return OperatorSession(
            token=issued.token,
            expires_at=issued.expires_at,
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            office=terminal.office_code,
            network=terminal.network_code,
        )


def _check_activatable(terminal: Terminal, now: datetime) -> None:
    if terminal.status != TerminalStatus.PENDING:
        raise Conflict(f"terminal {terminal.id} is {terminal.status}", code="terminal_not_pending")
    if terminal.activation_expires_at is None or terminal.activation_expires_at <= now:
        raise AuthenticationFailed(
            "the activation code has expired: ask the network admin for a new one",
            code="activation_code_expired",
        )


def _add_key(session: Session, terminal_id: int, keyid: str, raw: bytes, now: datetime) -> None:
    session.add(
        TerminalKey(
            terminal_id=terminal_id,
            keyid=keyid,
            public_key=public_raw_to_b64url(raw),
            status="active",
            created_at=now,
            retired_at=None,
        )
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise AlreadyExists("this public key is already registered", field="public_key") from None
