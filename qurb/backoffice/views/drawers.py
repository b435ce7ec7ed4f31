"""The network administrator's drawer closes: every counter of its offices that closed its
cash drawer on a business day, with what the hub expected, what was counted and the
difference. The service keeps the admin to its own network (``DrawerCloseService``)."""

from __future__ import annotations

from datetime import date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.clock import CASABLANCA
from agent_api.errors import ValidationFailed
from qurb.backoffice.web import Page


def _day(text: str) -> date:
    """``?day=YYYY-MM-DD``; today in Casablanca when absent."""
    if not text:
        return datetime.now(CASABLANCA).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("a date is YYYY-MM-DD", field="day") from None


async def network_closes(page: Page) -> Response:
    raw = {"day": page.query("day")}
    day = _day(raw["day"])
    found = await run_in_threadpool(page.services.drawer_closes.of_network, page.who(), day)
    short = sum(c.difference_centimes for c in found if c.difference_centimes < 0)
    over = sum(c.difference_centimes for c in found if c.difference_centimes > 0)
    return page.render(
        "network_admin/drawer_closes.html",
        closes=found,
        business_date=day,
        raw={"day": day.isoformat()},
        short_centimes=short,
        over_centimes=over,
        net_centimes=short + over,
    )
