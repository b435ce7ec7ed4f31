"""Every table of the agent API. Importing this package registers them on the metadata."""

from agent_api.persistence.tables.base import metadata
from agent_api.persistence.tables.registry import Network, Office, Terminal, TerminalKey, User
from agent_api.persistence.tables.sessions import UserSession

__all__ = ["Network", "Office", "Terminal", "TerminalKey", "User", "UserSession", "metadata"]
