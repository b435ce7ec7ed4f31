"""Every table of the agent API. Importing this package registers them on the metadata."""

from agent_api.persistence.tables.base import metadata
from agent_api.persistence.tables.registry import Network, Office, Terminal, TerminalKey, User
from agent_api.persistence.tables.sessions import UserSession
from agent_api.persistence.tables.terminal_security import IdempotencyRecord, SecurityEvent

__all__ = [
    "IdempotencyRecord",
    "Network",
    "Office",
    "SecurityEvent",
    "Terminal",
    "TerminalKey",
    "User",
    "UserSession",
    "metadata",
]
