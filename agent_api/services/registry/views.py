"""What the registry services hand back: plain values, detached from the database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NetworkView:
    code: str
    name: str
    commission_fixed_centimes: int
    commission_bps: int
    settlement_account: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class OfficeView:
    code: str
    network: str
    name: str
    city: str
    region: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class TerminalKeyView:
    keyid: str
    status: str
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class TerminalView:
    id: int
    office: str
    network: str
    label: str
    status: str
    activation_expires_at: datetime | None
    created_at: datetime
    activated_at: datetime | None
    keys: list[TerminalKeyView]


@dataclass(frozen=True)
class NewTerminal:
    terminal: TerminalView
    activation_code: str


@dataclass(frozen=True)
class UserView:
    username: str
    full_name: str
    role: str
    office: str | None
    network: str | None
    status: str
    locked: bool
    created_at: datetime
