"""The ASGI application uvicorn serves: ``uvicorn --factory qurb.asgi:app_from_env``."""

from __future__ import annotations

from starlette.applications import Starlette

from agent_api.clock import Clock, utc_now
from agent_api.http.app import create_app
from agent_api.observability import configure_logging
from agent_api.settings import Settings
from qurb import finance


def build(settings: Settings, *, clock: Clock = utc_now) -> Starlette:
    """The agent API with the finance endpoints mounted."""
    return create_app(settings, extra_endpoints=finance.ENDPOINTS, clock=clock)


def app_from_env() -> Starlette:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return build(settings)
