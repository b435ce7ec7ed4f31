"""Back-office sign-in and the authentication of every token-bearing request.

A session is a row as well as a token: logging out, suspending the user or locking the
account ends it on the very next request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import update
from sqlmodel import Session, select

from agent_api.clock import Clock
from agent_api.domain.registry import NetworkStatus, UserStatus
from agent_api.domain.roles import BACK_OFFICE_ROLES, Actor, Role
from agent_api.errors import AccountLocked, AuthenticationFailed, Forbidden
from agent_api.persistence.tables import Network, Office, User, UserSession
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.sessions.passwords import HashingPool, PasswordHasher
from agent_api.services.sessions.request_gate import SessionRow
from agent_api.services.sessions.sign_in_throttle import SignInThrottle
from agent_api.services.sessions.tokens import ADMIN_AUDIENCE, TERMINAL_AUDIENCE, TokenSigner


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    username: str
    role: Role


INVALID_CREDENTIALS = "unknown username or wrong password"
# How far a terminal's clock may lag the server's: the online signature window's default.
# An offline write cannot be signed before its session began (it carries the session's
# token, which the terminal had not received), except by that much clock error.
DEFAULT_CLOCK_SKEW_SECONDS = 300


def _accept_anyone(_user: User) -> bool:
    return True


class AuthService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        signer: TokenSigner,
        *,
        admin_ttl_seconds: int,
        max_failed_logins: int,
        lockout_seconds: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._signer = signer
        self._admin_ttl = admin_ttl_seconds
        self._max_failed = max_failed_logins
        self._lockout = timedelta(seconds=lockout_seconds)
        # Replaced from the settings by ``configure_sign_in`` when the app starts.
        self._pool = HashingPool(hasher, threads=1, queue=8)
        self._throttle = SignInThrottle(clock, per_source=30, per_username=10, window_seconds=300)
        self._skew = timedelta(seconds=DEFAULT_CLOCK_SKEW_SECONDS)

    def configure_sign_in(
        self, *, pool: HashingPool, throttle: SignInThrottle, clock_skew_seconds: int
    ) -> None:
        """The hashing pool, the back-office sign-in throttle and the terminals' tolerated
        clock error, as the settings say."""
        self._pool.close()
        self._pool = pool
        self._throttle = throttle
        self._skew = timedelta(seconds=clock_skew_seconds)

    def close(self) -> None:
        self._pool.close()

    async def check_password(
        self,
        username: str,
        password: str,
        *,
        accept: Callable[[User], bool] = _accept_anyone,
        count_failures: bool = True,
    ) -> User:
        """The user whose password this is, among the accounts ``accept`` admits.

        An account ``accept`` refuses is answered as an unknown username: checked against
        the decoy hash (same cost) and refused with the same answer, so that a caller cannot
        tell a right password of the wrong kind of account from a wrong one. A locked account
        is refused before anything is hashed. With ``count_failures``, a wrong password counts
        toward the account's lockout (committed by itself, so it survives the refusal).

        The hash runs on the hashing pool, never on the threads that serve requests.
        """
        now = self._clock()
        found = await to_thread.run_sync(self._find, username)
        user = found if found is not None and accept(found) else None
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise AccountLocked("too many failed sign-ins; the account is locked for now")
        correct = await self._pool.verify(user.password_hash if user else None, password)
        if user is None or not correct:
            if user is not None and count_failures:
                await to_thread.run_sync(self._record_failure, user, now)
            raise AuthenticationFailed(INVALID_CREDENTIALS, code="invalid_credentials")
        if user.status != UserStatus.ACTIVE:
            raise Forbidden("this account is suspended", code="account_suspended")
        if count_failures and (user.failed_logins or user.locked_until):
            await to_thread.run_sync(self._clear_failures, user)
        return user

    def _find(self, username: str) -> User | None:
        with self._uow() as uow:
            return uow.session.exec(select(User).where(User.username == username)).first()

    def _record_failure(self, user: User, now: datetime) -> None:
        with self._uow() as uow:
            # An atomic increment: two wrong passwords at the same instant both count.
            uow.session.execute(
                update(User)
                .where(User.id == user.id)  # type: ignore[arg-type]
                .values(failed_logins=User.failed_logins + 1)
            )
            stored = uow.session.get(User, user.id)
            assert stored is not None
            uow.session.refresh(stored)
            if stored.failed_logins >= self._max_failed:
                stored.locked_until = now + self._lockout
                stored.failed_logins = 0
                uow.session.add(stored)
            uow.commit()

    def _clear_failures(self, user: User) -> None:
        with self._uow() as uow:
            uow.session.execute(
                update(User)
                .where(User.id == user.id)  # type: ignore[arg-type]
                .values(failed_logins=0, locked_until=None)
            )
            uow.commit()

    async def admin_login(self, username: str, password: str, *, source: str) -> SignedIn:
        """Sign a back-office user in.

        Throttled per ``source`` address and per username before anything is read or hashed.
        Counter staff are not back-office accounts here: their username answers as an unknown
        one, whatever the password, and their failures never count, so nobody can lock a
        counter operator out, nor test their password, from this path (issue 16).
        """
        admitted = self._throttle.admit(source, username)
        try:
            user = await self.check_password(
                username, password, accept=lambda u: Role(u.role) in BACK_OFFICE_ROLES
            )
        except AuthenticationFailed as refused:
            if refused.code == "invalid_credentials":
                raise AuthenticationFailed(
                    INVALID_CREDENTIALS + "; counter staff sign in at their terminal",
                    code="invalid_credentials",
                ) from None
            raise
        self._throttle.forgive(admitted)
        return await to_thread.run_sync(self._open_admin_session, user)

    def _open_admin_session(self, user: User) -> SignedIn:
        role = Role(user.role)
        now = self._clock()
        with self._uow() as uow:
            extra: dict[str, str] = {}
            if user.network_id is not None:
                network = uow.session.get(Network, user.network_id)
                assert network is not None
                if network.status != NetworkStatus.ACTIVE:
                    raise Forbidden("the user's network is suspended", code="network_suspended")
                extra["network"] = network.code
            issued = self._signer.issue(
                subject=user.username,
                audience=ADMIN_AUDIENCE,
                role=role.value,
                now=now,
                ttl_seconds=self._admin_ttl,
                extra=extra,
            )
            assert user.id is not None
            uow.session.add(
                UserSession(
                    jti=issued.jti,
                    user_id=user.id,
                    audience=ADMIN_AUDIENCE,
                    terminal_keyid=None,
                    issued_at=now,
                    expires_at=issued.expires_at,
                    ended_at=None,
                )
            )
            audit_log.append(
                uow.session,
                "admin_sign_in",
                {"actor": {"username": user.username, "role": role.value}, "session": issued.jti},
                at=now,
            )
            uow.commit()
        return SignedIn(issued.token, issued.expires_at, user.username, role)

    def authenticate(
        self,
        token: str,
        *,
        audience: str,
        bound_keyid: str | None = None,
        at: datetime | None = None,
    ) -> Actor:
        """The caller behind a token. A terminal token is valid only on requests signed by
        the terminal key it was issued to (``cnf.jkt``, RFC 7800).

        ``at`` judges expiry and sign-out at another instant than now: a write queued
        offline is checked at the time the terminal signed it (within the offline window),
        so a token that expired while the network was down does not lose the collection.
        """
        now = at if at is not None else self._clock()
        claims = self._signer.decode(token, audience=audience, now=now)
        with self._uow() as uow:
            row = uow.session.exec(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
                .where(UserSession.jti == claims["jti"])
            ).first()
            stored = None
            if row is not None:
                session, user = row
                network_id = user.network_id
                if user.office_id is not None:
                    office = uow.session.get(Office, user.office_id)
                    assert office is not None
                    network_id = office.network_id
                assert user.id is not None
                stored = SessionRow(
                    jti=session.jti,
                    terminal_keyid=session.terminal_keyid,
                    issued_at=session.issued_at,
                    expires_at=session.expires_at,
                    ended_at=session.ended_at,
                    user_id=user.id,
                    username=user.username,
                    role=user.role,
                    user_status=user.status,
                    office_id=user.office_id,
                    network_id=network_id,
                )
        return self.check_session(
            claims, stored, audience=audience, bound_keyid=bound_keyid, now=now
        )

    def check_session(
        self,
        claims: dict[str, Any],
        session: SessionRow | None,
        *,
        audience: str,
        bound_keyid: str | None,
        now: datetime,
        offline: bool = False,
    ) -> Actor:
        """The caller behind verified token ``claims`` and the session row stored for its
        ``jti`` (None when there is none), at ``now``: the time the terminal signed the
        request when it was queued ``offline``."""
        if audience == TERMINAL_AUDIENCE:
            cnf = claims.get("cnf")
            if not isinstance(cnf, dict) or cnf.get("jkt") != bound_keyid:
                raise AuthenticationFailed(
                    "the token belongs to another terminal", code="token_wrong_terminal"
                )
        if session is None or session.jti != claims["jti"]:
            raise AuthenticationFailed("the session is unknown", code="token_invalid")
        if session.terminal_keyid != bound_keyid:
            raise AuthenticationFailed(
                "the token belongs to another terminal", code="token_wrong_terminal"
            )
        if (session.ended_at is not None and session.ended_at <= now) or (
            session.expires_at <= now
        ):
            raise AuthenticationFailed("the session has ended", code="token_expired")
        if offline and now + self._skew < session.issued_at:
            # A write queued offline is judged at its ``created``, which must lie inside the
            # session's life: from sign-in (give or take the terminal's clock error) to
            # sign-out, password reset, suspension or expiry (``ended_at``, checked above).
            raise AuthenticationFailed(
                "the write was signed before the operator's session began", code="token_expired"
            )
        if session.user_status != UserStatus.ACTIVE or session.username != claims["sub"]:
            raise AuthenticationFailed("the account is suspended", code="token_invalid")
        return Actor(
            user_id=session.user_id,
            username=session.username,
            role=Role(session.role),
            network_id=session.network_id,
            office_id=session.office_id,
            session_id=session.jti,
        )

    def end_session(self, actor: Actor) -> None:
        with self._uow() as uow:
            end_session_in(uow.session, actor, self._clock())
            audit_log.append(
                uow.session,
                "admin_sign_out",
                {**audit_log.actor_facts(actor), "session": actor.session_id},
                at=self._clock(),
            )
            uow.commit()


def end_session_in(session: Session, actor: Actor, now: datetime) -> None:
    """End the caller's session inside the caller's transaction."""
    session.execute(
        update(UserSession)
        .where(UserSession.jti == actor.session_id)  # type: ignore[arg-type]
        .where(UserSession.ended_at.is_(None))  # type: ignore[union-attr]
        .values(ended_at=now)
    )
