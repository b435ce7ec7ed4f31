"""Users of every role: creation within the creator's scope, listing, suspension, unlocking.

A network admin creates and manages only the operators and supervisors of its own network's
offices; a CNSS admin manages everyone. Suspending a user ends their sessions at once.
"""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.permissions import MANAGE_USERS, READ_REGISTRY, require
from agent_api.domain.registry import UserStatus
from agent_api.domain.roles import CREATABLE_BY_NETWORK_ADMIN, Actor, Role, scope_of
from agent_api.errors import AlreadyExists, Conflict, Forbidden, NotFound, ValidationFailed
from agent_api.persistence.tables import Network, Office, User, UserSession
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.registry.registry import require_active, visible_network, visible_office
from agent_api.services.registry.views import UserView
from agent_api.services.sessions.passwords import PasswordHasher


def user_view(session: Session, user: User, now_locked: bool) -> UserView:
    office_code = network_code = None
    if user.office_id is not None:
        office = session.get(Office, user.office_id)
        assert office is not None
        office_code = office.code
        network = session.get(Network, office.network_id)
        assert network is not None
        network_code = network.code
    elif user.network_id is not None:
        network = session.get(Network, user.network_id)
        assert network is not None
        network_code = network.code
    return UserView(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        office=office_code,
        network=network_code,
        status=user.status,
        locked=now_locked,
        created_at=user.created_at,
    )


class UserService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    def _view(self, session: Session, user: User) -> UserView:
        locked = user.locked_until is not None and user.locked_until > self._clock()
        return user_view(session, user, locked)

    def _visible(self, session: Session, actor: Actor, username: str) -> User:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is not None and self._sees(session, actor, user):
            return user
        raise NotFound(f"no user {username!r}", field="username")

    @staticmethod
    def _sees(session: Session, actor: Actor, user: User) -> bool:
        if actor.scope == "national":
            return True
        if user.network_id is not None:
            return user.network_id == actor.network_id
        if user.office_id is not None:
            office = session.get(Office, user.office_id)
            assert office is not None
            return office.network_id == actor.network_id
        return False  # a national user is invisible to network admins

    def create(
        self,
        actor: Actor,
        *,
        username: str,
        full_name: str,
        role: Role,
        password: str,
        office: str | None,
        network: str | None,
    ) -> UserView:
        require(actor, MANAGE_USERS)
        if actor.role == Role.NETWORK_ADMIN and role not in CREATABLE_BY_NETWORK_ADMIN:
            raise Forbidden("a network admin creates only operators and supervisors")
        scope = scope_of(role)
        if scope == "office" and (office is None or network is not None):
            raise ValidationFailed(f"a {role.value} belongs to one office", field="office")
        if scope == "network" and (network is None or office is not None):
            raise ValidationFailed(f"a {role.value} belongs to one network", field="network")
        if scope == "national" and (office is not None or network is not None):
            field = "office" if office is not None else "network"
            raise ValidationFailed(f"a {role.value} is national: no office or network", field=field)
        # Hash before opening the transaction: argon2 is slow on purpose.
        password_hash = self._hasher.hash(password)
        with self._uow() as uow:
            office_id = network_id = None
            if office is not None:
                parent = visible_office(uow.session, actor, office, field="office")
                parent_network = uow.session.get(Network, parent.network_id)
                assert parent_network is not None
                require_active(parent_network, parent)
                office_id = parent.id
            if network is not None:
                found = visible_network(uow.session, actor, network, field="network")
                require_active(found)
                network_id = found.id
            user = User(
                username=username,
                full_name=full_name,
                role=role.value,
                office_id=office_id,
                network_id=network_id,
                password_hash=password_hash,
                status=UserStatus.ACTIVE,
                failed_logins=0,
                locked_until=None,
                created_at=self._clock(),
            )
            uow.session.add(user)
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(f"username {username!r} is taken", field="username") from None
            audit_log.append(
                uow.session,
                "user_created",
                {**audit_log.actor_facts(actor), "user": username, "role": role.value},
                at=self._clock(),
            )
            uow.commit()
            return self._view(uow.session, user)

    def list(
        self, actor: Actor, *, role: Role | None, office: str | None, limit: int, offset: int
    ) -> list[UserView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            query = (
                select(User)
                .outerjoin(Office, Office.id == User.office_id)  # type: ignore[arg-type]
                .order_by(col(User.username))
                .limit(limit)
                .offset(offset)
            )
            if actor.scope != "national":
                query = query.where(
                    or_(
                        User.network_id == actor.network_id,  # type: ignore[arg-type]
                        Office.network_id == actor.network_id,  # type: ignore[arg-type]
                    )
                )
            if role is not None:
                query = query.where(User.role == role.value)
            if office is not None:
                query = query.where(Office.code == office)
            return [self._view(uow.session, u) for u in uow.session.exec(query)]

    def get(self, actor: Actor, username: str) -> UserView:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            return self._view(uow.session, self._visible(uow.session, actor, username))

    def _check_manageable(self, actor: Actor, user: User) -> None:
        if actor.role == Role.NETWORK_ADMIN and Role(user.role) not in CREATABLE_BY_NETWORK_ADMIN:
            raise Forbidden("a network admin manages only operators and supervisors")
        if user.id == actor.user_id:
            raise Conflict("you cannot change your own account's status", code="self_change")

    def set_status(self, actor: Actor, username: str, status: UserStatus) -> UserView:
        require(actor, MANAGE_USERS)
        now = self._clock()
        with self._uow() as uow:
            user = self._visible(uow.session, actor, username)
            self._check_manageable(actor, user)
            user.status = status
            uow.session.add(user)
            if status == UserStatus.SUSPENDED:
                uow.session.execute(
                    update(UserSession)
                    .where(UserSession.user_id == user.id)  # type: ignore[arg-type]
                    .where(UserSession.ended_at.is_(None))  # type: ignore[union-attr]
                    .values(ended_at=now)
                )
            audit_log.append(
                uow.session,
                "user_status",
                {**audit_log.actor_facts(actor), "user": username, "status": status},
                at=now,
            )
            uow.commit()
            return self._view(uow.session, user)

    def unlock(self, actor: Actor, username: str) -> UserView:
        require(actor, MANAGE_USERS)
        with self._uow() as uow:
            user = self._visible(uow.session, actor, username)
            self._check_manageable(actor, user)
            user.locked_until = None
            user.failed_logins = 0
            uow.session.add(user)
            audit_log.append(
                uow.session,
                "user_unlocked",
                {**audit_log.actor_facts(actor), "user": username},
                at=self._clock(),
            )
            uow.commit()
            return self._view(uow.session, user)

    def set_password(self, actor: Actor, username: str, password: str) -> UserView:
        require(actor, MANAGE_USERS)
        password_hash = self._hasher.hash(password)
        now = self._clock()
        with self._uow() as uow:
            user = self._visible(uow.session, actor, username)
            self._check_manageable(actor, user)
            user.password_hash = password_hash
            user.locked_until = None
            user.failed_logins = 0
            uow.session.add(user)
            # A reset password ends every session opened with the old one.
            uow.session.execute(
                update(UserSession)
                .where(UserSession.user_id == user.id)  # type: ignore[arg-type]
                .where(UserSession.ended_at.is_(None))  # type: ignore[union-attr]
                .values(ended_at=now)
            )
            audit_log.append(
                uow.session,
                "user_password_set",
                {**audit_log.actor_facts(actor), "user": username},
                at=now,
            )
            uow.commit()
            return self._view(uow.session, user)
