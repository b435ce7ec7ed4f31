"""The ASGI application uvicorn serves: ``uvicorn --factory qurb.asgi:app_from_env``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount

from agent_api.clock import Clock, utc_now
from agent_api.http.app import create_app
from agent_api.observability import configure_logging
from agent_api.settings import Settings
from qurb import finance
from qurb.backoffice.routes import ROUTES as BACK_OFFICE_ROUTES
from qurb.backoffice.session import PREFIX as BACK_OFFICE
from qurb.verify.page import ROUTES as VERIFY_ROUTES


def build(settings: Settings, *, clock: Clock = utc_now) -> Starlette:
    """The agent API with the finance endpoints and the back office's screens mounted."""
    # Same app, same lifespan and services: the screens call what the endpoints call.
    return create_app(
        settings,
        extra_endpoints=finance.ENDPOINTS,
        extra_routes=[Mount(BACK_OFFICE, routes=BACK_OFFICE_ROUTES), *VERIFY_ROUTES],
        upload_paths=UPLOAD_PATHS,
        clock=clock,
    )


# Where finance uploads the CNSS ledger and the bank's statements, and where an auditor sends
# the photo of a receipt's QR (its own, smaller cap: qurb.backoffice.views.auditor).
UPLOAD_PATHS = (f"{BACK_OFFICE}/finance/uploads", f"{BACK_OFFICE}/audit/receipts")


def app_from_env() -> Starlette:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return build(settings)
