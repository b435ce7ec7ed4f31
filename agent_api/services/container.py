"""The services of one running app, built from its settings and engine (in the lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from agent_api.clock import Clock, utc_now
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.secrets import parse_ed25519_private_key
from agent_api.services.auth import AuthService
from agent_api.services.passwords import PasswordHasher
from agent_api.services.registry import RegistryService
from agent_api.services.terminals import TerminalAdminService
from agent_api.services.tokens import TokenSigner
from agent_api.services.users import UserService
from agent_api.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    hasher: PasswordHasher
    signer: TokenSigner
    auth: AuthService
    registry: RegistryService
    terminals: TerminalAdminService
    users: UserService

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    @classmethod
    def build(cls, settings: Settings, engine: Engine, clock: Clock = utc_now) -> Services:
        def uow() -> UnitOfWork:
            return UnitOfWork(engine)

        hasher = PasswordHasher(
            time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
        )
        signer = TokenSigner(
            parse_ed25519_private_key(settings.key_text("TOKEN_SIGNING_KEY").reveal()),
            issuer=settings.token_issuer,
        )
        return cls(
            settings=settings,
            engine=engine,
            clock=clock,
            hasher=hasher,
            signer=signer,
            auth=AuthService(
                uow,
                clock,
                hasher,
                signer,
                admin_ttl_seconds=settings.admin_token_ttl_seconds,
                max_failed_logins=settings.max_failed_logins,
                lockout_seconds=settings.lockout_seconds,
            ),
            registry=RegistryService(uow, clock),
            terminals=TerminalAdminService(
                uow, clock, code_ttl_seconds=settings.activation_code_ttl_seconds
            ),
            users=UserService(uow, clock, hasher),
        )
