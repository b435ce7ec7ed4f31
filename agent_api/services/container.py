"""The services of one running app, built from its settings and engine (in the lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from agent_api.clock import Clock, utc_now
from agent_api.domain.account import SurchargeRule
from agent_api.domain.dependents import DependentRules
from agent_api.domain.rights import RightsRules
from agent_api.persistence import sealing
from agent_api.persistence.sealing import Sealer
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.protocol.checkpoint import NoteSigner
from agent_api.protocol.keys import public_jwk
from agent_api.secrets import parse_ed25519_private_key, parse_symmetric_key
from agent_api.services.accounts.accounts import AccountService, AccountSettings
from agent_api.services.accounts.declarations import DeclarationService
from agent_api.services.accounts.drawer_closes import DrawerCloseService
from agent_api.services.accounts.office_day import OfficeDayService
from agent_api.services.deposits.deposits import DepositService, DepositSettings
from agent_api.services.deposits.transmittals import TransmittalService
from agent_api.services.log.sequencer import Sequencer
from agent_api.services.log.transparency import AuditLog
from agent_api.services.registry.registry import RegistryService
from agent_api.services.registry.tariff import AmnestyService, TariffService
from agent_api.services.registry.terminals import TerminalAdminService
from agent_api.services.registry.users import UserService
from agent_api.services.sessions.auth import AuthService
from agent_api.services.sessions.passwords import PasswordHasher
from agent_api.services.sessions.security_events import SecurityEventService
from agent_api.services.sessions.terminal_auth import TerminalAuthService
from agent_api.services.sessions.tokens import TokenSigner
from agent_api.services.workers.enrollment import EnrollmentService
from agent_api.services.workers.identity import CinVault, key_id
from agent_api.services.workers.liaison import LiaisonService
from agent_api.services.workers.workers import WorkerService
from agent_api.services.writes.idempotency import Idempotency
from agent_api.services.writes.receipts import ReceiptSigner
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
    events: SecurityEventService
    idempotency: Idempotency  # the claims and replays of signed writes (signed_writes.run)
    terminal_auth: TerminalAuthService
    vault: CinVault
    receipts: ReceiptSigner
    tariff: TariffService
    enrollment: EnrollmentService
    workers: WorkerService
    liaison: LiaisonService
    accounts: AccountService
    declarations: DeclarationService
    office_day: OfficeDayService
    drawer_closes: DrawerCloseService
    deposits: DepositService
    transmittals: TransmittalService
    amnesties: AmnestyService
    audit: AuditLog
    jwks: dict[str, list[dict[str, str]]]

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, after_appends=self.audit.sequencer.nudge)

    @classmethod
    def build(cls, settings: Settings, engine: Engine, clock: Clock = utc_now) -> Services:
        # A unit of work that recorded an audit-log entry nudges the sequencer once committed.
        sequencer = Sequencer(lambda: UnitOfWork(engine), clock, engine=engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(engine, after_appends=sequencer.nudge)

        hasher = PasswordHasher(
            time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
        )
        signer = TokenSigner(
            parse_ed25519_private_key(settings.key_text("TOKEN_SIGNING_KEY").reveal()),
            issuer=settings.token_issuer,
        )
        receipts = ReceiptSigner(
            parse_ed25519_private_key(settings.key_text("RECEIPT_SIGNING_KEY").reveal())
        )
        previous = [
            parse_symmetric_key(part)
            for part in settings.previous_cin_keys.reveal().split(",")
            if part.strip()
        ]
        vault = CinVault(
            parse_symmetric_key(settings.key_text("CIN_ENCRYPTION_KEY").reveal()),
            parse_symmetric_key(settings.key_text("CIN_INDEX_KEY").reveal()),
            {key_id(k): k for k in previous},
        )
        # Phones, addresses, amendments and stored responses open and seal with these keys.
        sealer = contact_sealer(settings)
        sealing.install(sealer)
        rules = DependentRules(
            spouse_min_age=settings.spouse_min_age,
            max_spouses=settings.max_spouses,
            child_max_age=settings.child_max_age,
            student_max_age=settings.student_max_age,
            worker_min_age=settings.worker_min_age,
        )
        events = SecurityEventService(uow, clock)
        auth = AuthService(
            uow,
            clock,
            hasher,
            signer,
            admin_ttl_seconds=settings.admin_token_ttl_seconds,
            max_failed_logins=settings.max_failed_logins,
            lockout_seconds=settings.lockout_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            clock=clock,
            hasher=hasher,
            signer=signer,
            auth=auth,
            registry=RegistryService(uow, clock, cutoff=settings.business_day_cutoff),
            terminals=TerminalAdminService(
                uow, clock, code_ttl_seconds=settings.activation_code_ttl_seconds
            ),
            users=UserService(uow, clock, hasher),
            events=events,
            idempotency=Idempotency(uow, events, sealer, wait_ms=settings.idempotency_wait_ms),
            terminal_auth=TerminalAuthService(
                uow,
                clock,
                auth,
                signer,
                events,
                engine=engine,
                operator_ttl_seconds=settings.operator_token_ttl_seconds,
                max_activation_attempts=settings.max_activation_attempts,
                login_failures=settings.terminal_login_failures,
                login_window_seconds=settings.terminal_login_window_seconds,
            ),
            vault=vault,
            receipts=receipts,
            tariff=TariffService(uow, clock),
            enrollment=EnrollmentService(
                uow,
                clock,
                vault,
                receipts,
                rules=rules,
                allow_dependent_as_principal=settings.allow_dependent_as_principal,
                max_past_months=settings.coverage_start_max_past_months,
                max_future_months=settings.coverage_start_max_future_months,
            ),
            workers=WorkerService(
                uow,
                clock,
                vault,
                rules=rules,
                allow_dependent_as_principal=settings.allow_dependent_as_principal,
            ),
            liaison=LiaisonService(uow, clock, vault),
            accounts=AccountService(
                uow,
                clock,
                receipts,
                AccountSettings(
                    max_collection_centimes=settings.max_collection_centimes,
                    horizon_months=settings.prepay_horizon_months,
                    surcharge=SurchargeRule(
                        settings.surcharge_bps_per_month, settings.surcharge_after_months
                    ),
                    rights=RightsRules(
                        settings.rights_grace_months, settings.rights_waiting_months
                    ),
                    cutoff=settings.business_day_cutoff,
                ),
            ),
            declarations=DeclarationService(clock),
            office_day=OfficeDayService(uow),
            drawer_closes=DrawerCloseService(
                uow, clock, receipts, cutoff=settings.business_day_cutoff
            ),
            transmittals=TransmittalService(clock, receipts, settings.business_day_cutoff),
            deposits=DepositService(
                uow,
                clock,
                receipts,
                DepositSettings(
                    deadline_days=settings.deposit_deadline_days,
                    cutoff=settings.business_day_cutoff,
                    surcharge=SurchargeRule(
                        settings.surcharge_bps_per_month, settings.surcharge_after_months
                    ),
                    rights=RightsRules(
                        settings.rights_grace_months, settings.rights_waiting_months
                    ),
                ),
            ),
            amnesties=AmnestyService(uow, clock),
            audit=audit_log_of(settings, uow, clock, sequencer=sequencer),
            # Published at GET /v1/keys so tokens and receipts verify with standard JOSE tools.
            jwks={
                "keys": [
                    public_jwk(signer.public_raw, signer.kid),
                    public_jwk(receipts.public_raw, receipts.kid),
                ]
            },
        )


def contact_sealer(settings: Settings) -> Sealer:
    """The keys of personal data at rest but the CIN: the current one and the retired ones."""
    previous = [
        parse_symmetric_key(part)
        for part in settings.previous_contact_keys.reveal().split(",")
        if part.strip()
    ]
    return Sealer(
        parse_symmetric_key(settings.key_text("CONTACT_ENCRYPTION_KEY").reveal()), previous
    )


def audit_log_of(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, *, sequencer: Sequencer | None = None
) -> AuditLog:
    """The audit log, signing its checkpoints under the log key with the log's origin as the
    key name (as tlog-checkpoint asks)."""
    key = parse_ed25519_private_key(settings.key_text("LOG_SIGNING_KEY").reveal())
    return AuditLog(uow, clock, NoteSigner(settings.log_origin, key), sequencer=sequencer)
