"""The registry: networks, their offices, the offices' terminals and keys, and users.

The database holds the invariants too: unique codes, status values, non-negative commission,
and the shape of a user's scope (office staff have an office, a network admin a network,
national roles neither), so no code path can store a user with a scope its role cannot have.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.tables.base import metadata
from agent_api.persistence.types import UTCDateTime

assert SQLModel.metadata is metadata


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Network(SQLModel, table=True):
    __tablename__ = "networks"
    __table_args__ = (
        CheckConstraint("commission_fixed_centimes >= 0", name="commission_fixed_non_negative"),
        CheckConstraint("commission_bps BETWEEN 0 AND 10000", name="commission_bps_range"),
        CheckConstraint(_in("status", ("active", "suspended")), name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(12), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    commission_fixed_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    commission_bps: int = Field(sa_column=Column(Integer, nullable=False))
    settlement_account: str = Field(sa_column=Column(String(24), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CommissionChange(SQLModel, table=True):
    """A network's commission rule from a business date on. The rule the network was created
    with stays on its row (in force from its first day); each change announced since is a row
    here, and the rule of a day is the change with the latest ``effective_from`` on or before
    it. One rule per network and date: a second announcement for the same (still future)
    date replaces the first through this constraint, never a check-then-insert."""

    __tablename__ = "commission_changes"
    __table_args__ = (
        UniqueConstraint("network_id", "effective_from"),
        CheckConstraint("fixed_centimes >= 0", name="fixed_non_negative"),
        CheckConstraint("basis_points BETWEEN 0 AND 10000", name="basis_points_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(sa_column=Column(Integer, ForeignKey("networks.id"), nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    fixed_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    basis_points: int = Field(sa_column=Column(Integer, nullable=False))
    announced_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    announced_by: str = Field(sa_column=Column(String(40), nullable=False))


class Office(SQLModel, table=True):
    __tablename__ = "offices"
    __table_args__ = (CheckConstraint(_in("status", ("active", "suspended")), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(20), nullable=False, unique=True))
    network_id: int = Field(
        sa_column=Column(Integer, ForeignKey("networks.id"), nullable=False, index=True)
    )
    name: str = Field(sa_column=Column(String(120), nullable=False))
    city: str = Field(sa_column=Column(String(60), nullable=False))
    region: str = Field(sa_column=Column(String(60), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Terminal(SQLModel, table=True):
    __tablename__ = "terminals"
    __table_args__ = (
        CheckConstraint(
            _in("status", ("pending", "active", "suspended", "revoked")), name="status"
        ),
        CheckConstraint("activation_attempts >= 0", name="activation_attempts_non_negative"),
        CheckConstraint("login_failures >= 0", name="login_failures_non_negative"),
        # Labels name a counter inside its office; unique, so a retried "create terminal"
        # cannot silently make a second one.
        UniqueConstraint("office_id", "label"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(
        sa_column=Column(Integer, ForeignKey("offices.id"), nullable=False, index=True)
    )
    label: str = Field(sa_column=Column(String(60), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    # SHA-256 of the code's secret part: the code itself is shown once and never stored.
    activation_secret_hash: str | None = Field(sa_column=Column(String(64), nullable=True))
    activation_expires_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
    activation_attempts: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    activated_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
    # Failed operator sign-ins from this terminal in the current window: a terminal trying
    # passwords is throttled whichever accounts it tries.
    login_failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    login_window_started_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class TerminalKey(SQLModel, table=True):
    """Every public key a terminal ever had. Rows are never deleted: auditors verify old
    signatures against this history."""

    __tablename__ = "terminal_keys"
    __table_args__ = (
        CheckConstraint(_in("status", ("active", "retired", "revoked")), name="status"),
        # At most one key signs for a terminal at any moment.
        Index(
            "uq_terminal_keys_one_active",
            "terminal_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    terminal_id: int = Field(
        sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False, index=True)
    )
    keyid: str = Field(sa_column=Column(String(43), nullable=False, unique=True))
    public_key: str = Field(sa_column=Column(String(43), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    retired_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))


_ROLES = ("operator", "supervisor", "network_admin", "finance", "auditor", "cnss_admin")


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", _ROLES), name="role"),
        CheckConstraint(_in("status", ("active", "suspended")), name="status"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
        CheckConstraint(
            "(role IN ('operator', 'supervisor')"
            " AND office_id IS NOT NULL AND network_id IS NULL)"
            " OR (role = 'network_admin' AND office_id IS NULL AND network_id IS NOT NULL)"
            " OR (role IN ('finance', 'auditor', 'cnss_admin')"
            " AND office_id IS NULL AND network_id IS NULL)",
            name="scope_matches_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    full_name: str = Field(sa_column=Column(String(120), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    office_id: int | None = Field(
        sa_column=Column(Integer, ForeignKey("offices.id"), nullable=True, index=True)
    )
    network_id: int | None = Field(
        sa_column=Column(Integer, ForeignKey("networks.id"), nullable=True, index=True)
    )
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    failed_logins: int = Field(sa_column=Column(Integer, nullable=False))
    locked_until: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
