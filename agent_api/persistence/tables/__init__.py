"""Every table of the agent API. Importing this package registers them on the metadata."""

from agent_api.persistence.tables.audit import AuditCheckpoint, AuditEntry, AuditHead, AuditLeaf
from agent_api.persistence.tables.base import metadata
from agent_api.persistence.tables.claims_work import TrackingExceptionAction, TrackingExceptionWork
from agent_api.persistence.tables.contributions import (
    AccountAllocation,
    Contribution,
    DailyDeclaration,
    Reversal,
    SurchargeWaiver,
)
from agent_api.persistence.tables.days import BusinessDay
from agent_api.persistence.tables.deposits import (
    Deposit,
    DepositCancellation,
    Transmittal,
    TransmittalItem,
)
from agent_api.persistence.tables.drawers import DrawerClose
from agent_api.persistence.tables.file_fees import NetworkFileFee
from agent_api.persistence.tables.registry import Network, Office, Terminal, TerminalKey, User
from agent_api.persistence.tables.sessions import UserSession
from agent_api.persistence.tables.terminal_security import IdempotencyRecord, SecurityEvent
from agent_api.persistence.tables.tracking import (
    TrackingEventRecord,
    TrackingException,
    TrackingFileRecord,
)
from agent_api.persistence.tables.witnesses import AuditCosignature
from agent_api.persistence.tables.worker_reads import WorkerRead
from agent_api.persistence.tables.workers import (
    Category,
    CategoryBracket,
    LiaisonEntry,
    Receipt,
    TariffRate,
    Worker,
    WorkerAmendment,
    WorkerCategoryPeriod,
    WorkerDependent,
)

__all__ = [
    "AccountAllocation",
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEntry",
    "AuditHead",
    "AuditLeaf",
    "BusinessDay",
    "Category",
    "CategoryBracket",
    "Contribution",
    "DailyDeclaration",
    "Deposit",
    "DepositCancellation",
    "DrawerClose",
    "IdempotencyRecord",
    "LiaisonEntry",
    "Network",
    "NetworkFileFee",
    "Office",
    "Receipt",
    "Reversal",
    "SecurityEvent",
    "SurchargeWaiver",
    "TariffRate",
    "Terminal",
    "TerminalKey",
    "TrackingEventRecord",
    "TrackingException",
    "TrackingExceptionAction",
    "TrackingExceptionWork",
    "TrackingFileRecord",
    "Transmittal",
    "TransmittalItem",
    "User",
    "UserSession",
    "Worker",
    "WorkerAmendment",
    "WorkerCategoryPeriod",
    "WorkerDependent",
    "WorkerRead",
    "metadata",
]
