"""Back-office sign-in and the authentication of every token-bearing request.

A session is a row as well as a token: logging out, suspending the user or locking the
account ends it on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from agent_api.clock import Clock
from agent_api.domain.registry import NetworkStatus, UserStatus
from agent_api.domain.roles import BACK_OFFICE_ROLES, Actor, Role
from agent_api.errors import AccountLocked, AuthenticationFailed, Forbidden
from agent_api.persistence.tables import Network, Office, User, UserSession
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services import audit_log
from agent_api.services.passwords import PasswordHasher
from agent_api.services.request_gate import SessionRow
from agent_api.services.tokens import ADMIN_AUDIENCE, TERMINAL_AUDIENCE, TokenSigner


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    username: str
    role: Role


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

    def check_password(self, username: str, password: str) -> User:
        """The user whose password this is, counting failures and locking the account.

        Commits the failure count itself so that it survives the refusal.
        """
        now = self._clock()
        with self._uow() as uow:
            user = uow.session.exec(select(User).where(User.username == username)).first()
            if user is not None and user.locked_until is not None and user.locked_until > now:
                raise AccountLocked("too many failed sign-ins; the account is locked for now")
            # An unknown username is still checked (against a decoy hash): same cost, same answer.
            correct = self._hasher.verify(user.password_hash if user else None, password)
            if user is None or not correct:
                if user is not None:
                    self._record_failure(uow.session, user, now)
                    uow.commit()
                raise AuthenticationFailed(
                    "unknown username or wrong password", code="invalid_credentials"
                )
            if user.status != UserStatus.ACTIVE:
                raise Forbidden("this account is suspended", code="account_suspended")
            if user.failed_logins or user.locked_until:
                user.failed_logins = 0
                user.locked_until = None
                uow.session.add(user)
                uow.commit()
            return user

    def _record_failure(self, session: Session, user: User, now: datetime) -> None:
        # An atomic increment: two wrong passwords at the same instant both count.
        session.execute(
            update(User)
            .where(User.id == user.id)  # type: ignore[arg-type]
            .values(failed_logins=User.failed_logins + 1)
        )
        session.refresh(user)
        if user.failed_logins >= self._max_failed:
            user.locked_until = now + self._lockout
            user.failed_logins = 0
            session.add(user)

    def admin_login(self, username: str, password: str) -> SignedIn:
        user = self.check_password(username, password)
        role = Role(user.role)
        if role not in BACK_OFFICE_ROLES:
            raise Forbidden(
                "counter staff sign in from an activated terminal", code="wrong_sign_in_path"
            )
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
    ) -> Actor:
        """The caller behind verified token ``claims`` and the session row stored for its
        ``jti`` (None when there is none)."""
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
