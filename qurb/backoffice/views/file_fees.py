"""A network's fee per reimbursement file on its CNSS page (``cnss_admin.network``): the fee
in force, those set from a day to come and their history, and how the CNSS admin's form is
read (a future business day; dirhams typed, integer centimes kept, never through a float).
The service (``FileFees.announce``) judges the values and names the field it refuses."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool

from agent_api.domain.commission import first_changeable_day
from agent_api.errors import ValidationFailed
from agent_api.services.registry.file_fees import FileFees
from qurb.backoffice.web import Page

# The form's field names (apart from the commission form's on the same page) → the service's.
FEE_FIELDS = {"fee_effective_from": "effective_from", "fee_centimes": "fee_centimes"}
FEE_WORDS = {
    "effective_from": "cnss.fee.field.effective_from",
    "fee_centimes": "cnss.fee.field.fee",
}


def file_fees(page: Page) -> FileFees:
    services = page.services
    return FileFees(services.new_uow, services.clock, cutoff=services.settings.business_day_cutoff)


async def fee_context(page: Page, code: str) -> dict[str, Any]:
    fees = await run_in_threadpool(file_fees(page).of_network, page.who(), code)
    settings = page.services.settings
    earliest = first_changeable_day(page.services.clock(), settings.business_day_cutoff)
    return {
        "fees": fees,
        "fee_form": {"fee_effective_from": earliest.isoformat(), "fee_centimes": ""},
        "fee_invalid": "",
        "fee_earliest": earliest,
    }


def typed_centimes(text: str) -> int:
    """Dirhams typed (``5``, ``5,5``, ``5.50``) as integer centimes."""
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    whole, _, cents = cleaned.partition(".")
    if not (
        whole.isascii()
        and whole.isdigit()
        and len(whole) <= 9
        and (cents == "" or (cents.isascii() and cents.isdigit() and len(cents) <= 2))
    ):
        raise ValidationFailed(
            "fee_centimes: an amount in dirhams, e.g. 5,00", field="fee_centimes"
        )
    return int(whole) * 100 + int(cents.ljust(2, "0"))


def typed_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "effective_from: a day, YYYY-MM-DD", field="effective_from"
        ) from None
