"""The CNSS administrator's screens: networks and their commission rules (in force, announced
from a future day, and their history), the tariff (categories, brackets, rates in force and
announced), surcharge waivers, and a national read of offices, terminals and counter staff.

Each screen calls the service its JSON endpoint calls (``agent_api.http.admin`` and the tariff
and waiver endpoints of ``agent_api.http.workers``), and reads its form through that
endpoint's own input model (``NetworkIn``, ``CommissionRuleIn``, ``RateIn``, ``CategoryIn``,
``BracketIn``, ``WaiverIn``): the same bounds, the same refusal naming the same field, then one
transaction in the service. Only the typing of a form is done here: an HTML form sends text, so
amounts in dirhams become integer centimes and whole numbers become ints before the model sees
them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.clock import CASABLANCA
from agent_api.domain.commission import CommissionRule
from agent_api.domain.months import first_of_month
from agent_api.domain.registry import NetworkStatus
from agent_api.domain.roles import Role
from agent_api.errors import QurbError, ValidationFailed
from agent_api.http.io import parse_query, validation_error
from agent_api.http.schemas.admin import (
    CommissionRuleIn,
    NetworkIn,
    OfficeQuery,
    TerminalQuery,
    UserQuery,
)
from agent_api.http.schemas.common import Paging
from agent_api.http.schemas.workers import BracketIn, CategoryIn, RateIn, WaiverIn
from agent_api.services.registry.registry import CommissionRulesView, CommissionRuleView
from agent_api.services.registry.views import NetworkView
from qurb.backoffice.session import PREFIX
from qurb.backoffice.views import file_fees
from qurb.backoffice.web import Page, error_page

M = TypeVar("M", bound=BaseModel)
Q = TypeVar("Q", bound=Paging)
LISTING = 200  # rows per page of the registry listings
# A collection of 100,00 MAD: the example each network's commission is worked out on.
EXAMPLE_CENTIMES = 100_00
# What ``?done=`` may announce after a write: a catalog key, never the query's own text.
NOTICES = {
    "network_created": "cnss.done.network_created",
    "network_suspended": "cnss.done.network_suspended",
    "network_reactivated": "cnss.done.network_reactivated",
    "rate_announced": "cnss.done.rate_announced",
    "category_added": "cnss.done.category_added",
    "bracket_added": "cnss.done.bracket_added",
    "waiver_created": "cnss.done.waiver_created",
    "commission_announced": "cnss.done.commission_announced",
    "commission_replaced": "cnss.done.commission_replaced",
    "file_fee_set": "cnss.fee.done",
}
# The words for a refused field, by the name the API (and the form) give it.
FIELDS = {
    "code": "cnss.field.code",
    "name": "cnss.field.name",
    "commission_fixed_centimes": "cnss.field.commission_fixed",
    "commission_bps": "cnss.field.commission_bps",
    "settlement_account": "cnss.field.settlement_account",
    "category": "cnss.field.category",
    "bracket": "cnss.field.bracket",
    "effective_from": "cnss.field.effective_from",
    "base_centimes": "cnss.field.base",
    "rate_bps": "cnss.field.rate_bps",
    "label": "cnss.field.label",
    "label_fr": "cnss.field.label_fr",
    "label_ar": "cnss.field.label_ar",
    "document_label": "cnss.field.document_label",
    "document_pattern": "cnss.field.document_pattern",
    "starts_on": "cnss.field.starts_on",
    "ends_on": "cnss.field.ends_on",
    "categories": "cnss.field.categories",
    "reason": "cnss.field.reason",
    "network": "cnss.field.network",
    "office": "cnss.field.office",
    "city": "cnss.field.city",
    "status": "cnss.field.status",
    "role": "cnss.field.role",
    "offset": "cnss.field.offset",
    "fixed_centimes": "cnss.field.commission_fixed",
    "basis_points": "cnss.field.commission_bps",
}
# A commission rule starts on a day, where a tariff rate starts in a month.
RULE_FIELDS_WORDS = {**FIELDS, "effective_from": "cnss.field.rule_effective_from"}


# -- reading a form -----------------------------------------------------------------------

_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")
_DIRHAMS = re.compile(r"([+-]?)([0-9]{1,30})(?:[.,]([0-9]{1,2}))?")


def _whole(text: str) -> int | str:
    """A whole number as an int; anything else is left as text for the model to refuse
    (strict models refuse a string where a number belongs, naming the field)."""
    return int(text) if _WHOLE.fullmatch(text) else text


def _centimes(text: str, field: str) -> int | str:
    """Dirhams (``2``, ``2,5``, ``2.50``, ``-1``) as integer centimes, never through a float."""
    found = _DIRHAMS.fullmatch(text.replace(" ", "").replace("\u00a0", ""))
    if found is None:
        raise ValidationFailed(f"{field}: an amount in dirhams, e.g. 2,00", field=field)
    sign, whole, cents = found.group(1), found.group(2), (found.group(3) or "").ljust(2, "0")
    value = int(whole) * 100 + int(cents)
    return -value if sign == "-" else value


def _optional(text: str) -> str | None:
    return text or None


def _model(model: type[M], data: Mapping[str, Any]) -> M:
    """The API's input model over the form, refused as the API refuses it."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise validation_error(exc.errors(include_input=False, include_url=False)[0]) from None


def _query(page: Page, model: type[M], names: tuple[str, ...]) -> M:
    """The API's query model over the page's filters (the empty ones left out)."""
    return parse_query({n: page.query(n) for n in names if page.query(n)}, model)


def _refused(
    page: Page,
    refused: QurbError,
    template: str,
    context: dict[str, Any],
    form: dict[str, str],
    *,
    words: Mapping[str, str] = FIELDS,
) -> Response:
    """The page again, the refusal above its form, the field at fault named and marked, what
    was typed kept (escaped) so that one mistake costs one correction."""
    field = (refused.field or "").split("[", 1)[0].split(".", 1)[0]
    return error_page(
        page,
        refused.status,
        refused.code,
        refused=refused,
        template=template,
        context={
            **context,
            "form": form,
            "invalid": field,
            "invalid_label": page.t(words[field]) if field in words else refused.field,
        },
    )


def _notice(page: Page) -> str | None:
    return NOTICES.get(page.query("done"))


def _this_month(page: Page) -> date:
    return first_of_month(page.services.clock().astimezone(CASABLANCA).date())


def _next_month(page: Page) -> str:
    month = _this_month(page)
    following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return f"{following:%Y-%m}"


def percent(bps: int) -> str:
    """Basis points as a French percentage, in integers: 637 → ``6,37 %``."""
    sign = "-" if bps < 0 else ""
    return f"{sign}{abs(bps) // 100},{abs(bps) % 100:02d}\u00a0%"


# -- networks -----------------------------------------------------------------------------

NETWORK_FIELDS = (
    "code",
    "name",
    "commission_fixed_centimes",
    "commission_bps",
    "settlement_account",
)


def _network_row(view: NetworkView) -> dict[str, Any]:
    rule = CommissionRule(view.commission_fixed_centimes, view.commission_bps)
    return {
        "n": view,
        "percent": percent(view.commission_bps),
        "example": rule.on(EXAMPLE_CENTIMES),
        "suspended": view.status == NetworkStatus.SUSPENDED,
    }


async def _networks_context(page: Page) -> dict[str, Any]:
    views = await run_in_threadpool(
        lambda: page.services.registry.list_networks(page.who(), limit=1000, offset=0)
    )
    return {
        "networks": [_network_row(v) for v in views],
        "example_centimes": EXAMPLE_CENTIMES,
        "notice": _notice(page),
        "can_write": page.who().role == Role.CNSS_ADMIN,
    }


async def networks(page: Page) -> Response:
    context = await _networks_context(page)
    form = dict.fromkeys(NETWORK_FIELDS, "")
    return page.render("cnss_admin/networks.html", form=form, invalid="", **context)


async def create_network(page: Page) -> Response:
    form = {name: page.field(name) for name in NETWORK_FIELDS}
    try:
        body = _model(
            NetworkIn,
            {
                "code": form["code"],
                "name": form["name"],
                "commission_fixed_centimes": _centimes(
                    form["commission_fixed_centimes"], "commission_fixed_centimes"
                ),
                "commission_bps": _whole(form["commission_bps"]),
                "settlement_account": form["settlement_account"].replace(" ", ""),
            },
        )
        await run_in_threadpool(
            lambda: page.services.registry.create_network(page.who(), **body.model_dump())
        )
    except QurbError as refused:
        if refused.field is None:
            raise
        return _refused(
            page, refused, "cnss_admin/networks.html", await _networks_context(page), form
        )
    return page.redirect(f"{PREFIX}/cnss/networks?done=network_created")


def network_status(status: NetworkStatus) -> Callable[[Page], Any]:
    """Suspend or reactivate the network the path names (``RegistryService``, as
    ``POST /v1/admin/networks/{code}/suspend`` and ``…/reactivate`` do)."""
    done = "network_suspended" if status == NetworkStatus.SUSPENDED else "network_reactivated"

    async def view(page: Page) -> Response:
        code = page.request.path_params["code"]
        if "\x00" in code:
            raise ValidationFailed("code: must not contain the NUL character", field="code")
        await run_in_threadpool(page.services.registry.set_network_status, page.who(), code, status)
        return page.redirect(f"{PREFIX}/cnss/networks?done={done}")

    return view


# -- one network and its commission rules ------------------------------------------------

RULE_FIELDS = ("effective_from", "fixed_centimes", "basis_points")


def _path_code(page: Page) -> str:
    code: str = page.request.path_params["code"]
    if "\x00" in code:
        raise ValidationFailed("code: must not contain the NUL character", field="code")
    return code


def _rule_row(rule: CommissionRuleView) -> dict[str, Any]:
    return {
        "r": rule,
        "percent": percent(rule.basis_points),
        "example": CommissionRule(rule.fixed_centimes, rule.basis_points).on(EXAMPLE_CENTIMES),
    }


async def _network_context(page: Page, code: str) -> dict[str, Any]:
    registry = page.services.registry
    network = await run_in_threadpool(registry.get_network, page.who(), code)
    rules = await run_in_threadpool(registry.commission_rules, page.who(), code)
    return {
        "network": network,
        "rules": rules,
        "current": _rule_row(rules.current),
        "scheduled": [_rule_row(r) for r in rules.scheduled],
        "history": [_rule_row(r) for r in rules.history],
        "example_centimes": EXAMPLE_CENTIMES,
        "notice": _notice(page),
        "can_write": page.who().role == Role.CNSS_ADMIN,
        **await file_fees.fee_context(page, code),
    }


def _blank_rule(rules: CommissionRulesView) -> dict[str, str]:
    return {
        "effective_from": rules.first_changeable_day.isoformat(),
        "fixed_centimes": "",
        "basis_points": "",
    }


async def network(page: Page) -> Response:
    """A network's commission: the rule in force, those announced with their first day, and
    every rule that applied (``RegistryService.commission_rules``, as
    ``GET /v1/admin/networks/{code}/commission-rules``)."""
    context = await _network_context(page, _path_code(page))
    form = _blank_rule(context["rules"])
    return page.render("cnss_admin/network.html", form=form, invalid="", **context)


async def announce_commission(page: Page) -> Response:
    """A new rule from a future business day (``RegistryService.announce_commission``, as
    ``POST /v1/admin/networks/{code}/commission-rules``): today and every day before it are
    refused; the same day announced again replaces what was announced for it."""
    code = _path_code(page)
    typed = {name: page.field(name) for name in RULE_FIELDS}
    try:
        body = _model(
            CommissionRuleIn,
            {
                "effective_from": typed["effective_from"],
                "fixed_centimes": _centimes(typed["fixed_centimes"], "fixed_centimes"),
                "basis_points": _whole(typed["basis_points"]),
            },
        )
        announced = await run_in_threadpool(
            lambda: page.services.registry.announce_commission(
                page.who(), code, **body.model_dump()
            )
        )
    except QurbError as refused:
        if refused.field is None or refused.field == "code":
            raise
        context = await _network_context(page, code)
        return _refused(
            page, refused, "cnss_admin/network.html", context, typed, words=RULE_FIELDS_WORDS
        )
    done = "commission_replaced" if announced.replaced else "commission_announced"
    return page.redirect(f"{PREFIX}/cnss/networks/{code}?done={done}#scheduled")


async def announce_file_fee(page: Page) -> Response:
    """The network's fee per reimbursement file from a future business day
    (``FileFees.announce``); the same day set again replaces what was set for it."""
    code = _path_code(page)
    typed = {name: page.field(name) for name in file_fees.FEE_FIELDS}
    try:
        await run_in_threadpool(
            lambda: file_fees.file_fees(page).announce(
                page.who(),
                code,
                effective_from=file_fees.typed_day(typed["fee_effective_from"]),
                fee_centimes=file_fees.typed_centimes(typed["fee_centimes"]),
            )
        )
    except QurbError as refused:
        if refused.field not in file_fees.FEE_WORDS:
            raise
        context = await _network_context(page, code)
        form_field = {v: k for k, v in file_fees.FEE_FIELDS.items()}[refused.field]
        return error_page(
            page,
            refused.status,
            refused.code,
            refused=refused,
            template="cnss_admin/network.html",
            context={
                **context,
                "form": _blank_rule(context["rules"]),
                "invalid": "",
                "fee_form": typed,
                "fee_invalid": form_field,
                "invalid_label": page.t(file_fees.FEE_WORDS[refused.field]),
            },
        )
    return page.redirect(f"{PREFIX}/cnss/networks/{code}?done=file_fee_set#file-fee")


# -- the tariff ---------------------------------------------------------------------------

RATE_FIELDS = ("bracket", "effective_from", "base_centimes", "rate_bps")
CATEGORY_FIELDS = ("code", "label_fr", "label_ar", "document_label", "document_pattern")
BRACKET_FIELDS = ("category", "code", "label")


async def _tariff_context(page: Page) -> dict[str, Any]:
    categories = await run_in_threadpool(page.services.tariff.catalogue)
    return {
        "categories": categories,
        "this_month": _this_month(page),
        "next_month": _next_month(page),
        "percent": percent,
        "notice": _notice(page),
        "can_write": page.who().role == Role.CNSS_ADMIN,
        # Which form a refusal belongs to, so that only that one shows it.
        "refused_form": "",
    }


def _blank_tariff_forms(page: Page) -> dict[str, Any]:
    return {
        "rate": {**dict.fromkeys(RATE_FIELDS, ""), "effective_from": _next_month(page)},
        "category": {**dict.fromkeys(CATEGORY_FIELDS, ""), "counter": "1", "daily": ""},
        "bracket": dict.fromkeys(BRACKET_FIELDS, ""),
    }


async def tariff(page: Page) -> Response:
    context = await _tariff_context(page)
    return page.render(
        "cnss_admin/tariff.html", forms=_blank_tariff_forms(page), invalid="", **context
    )


async def _tariff_refused(
    page: Page, refused: QurbError, which: str, typed: dict[str, str]
) -> Response:
    if refused.field is None:
        raise refused
    context = await _tariff_context(page)
    forms = {**_blank_tariff_forms(page), which: typed}
    context.update(forms=forms, refused_form=which)
    return _refused(page, refused, "cnss_admin/tariff.html", context, typed)


async def announce_rate(page: Page) -> Response:
    """A rate from a future month (``TariffService.add_rate``: dues already owed never
    change, so this month and every month before it are refused)."""
    typed = {name: page.field(name) for name in RATE_FIELDS}
    try:
        category, slash, bracket = typed["bracket"].partition("/")
        if not slash:
            raise ValidationFailed("bracket: choose a bracket", field="bracket")
        body = _model(
            RateIn,
            {
                "category": category,
                "bracket": bracket,
                "effective_from": typed["effective_from"],
                "base_centimes": _centimes(typed["base_centimes"], "base_centimes"),
                "rate_bps": _whole(typed["rate_bps"]),
            },
        )
        await run_in_threadpool(
            lambda: page.services.tariff.add_rate(page.who(), **body.model_dump())
        )
    except QurbError as refused:
        return await _tariff_refused(page, refused, "rate", typed)
    return page.redirect(f"{PREFIX}/cnss/tariff?done=rate_announced#rates")


async def add_category(page: Page) -> Response:
    typed = {name: page.field(name) for name in CATEGORY_FIELDS}
    typed["counter"] = page.field("collected_at_counter")
    typed["daily"] = page.field("daily_declaration")
    try:
        body = _model(
            CategoryIn,
            {
                "code": typed["code"],
                "label_fr": typed["label_fr"],
                "label_ar": typed["label_ar"],
                "document_label": _optional(typed["document_label"]),
                "document_pattern": _optional(typed["document_pattern"]),
                "collected_at_counter": bool(typed["counter"]),
                "daily_declaration": bool(typed["daily"]),
            },
        )
        await run_in_threadpool(
            lambda: page.services.tariff.add_category(page.who(), **body.model_dump())
        )
    except QurbError as refused:
        return await _tariff_refused(page, refused, "category", typed)
    return page.redirect(f"{PREFIX}/cnss/tariff?done=category_added")


async def add_bracket(page: Page) -> Response:
    typed = {name: page.field(name) for name in BRACKET_FIELDS}
    try:
        body = _model(BracketIn, {"code": typed["code"], "label": typed["label"]})
        category = typed["category"]
        if "\x00" in category:
            raise ValidationFailed("category: is not a known category", field="category")
        await run_in_threadpool(
            lambda: page.services.tariff.add_bracket(
                page.who(), category=category, **body.model_dump()
            )
        )
    except QurbError as refused:
        return await _tariff_refused(page, refused, "bracket", typed)
    return page.redirect(f"{PREFIX}/cnss/tariff?done=bracket_added")


# -- surcharge waivers --------------------------------------------------------------------

WAIVER_FIELDS = ("starts_on", "ends_on", "reason")


async def _waivers_context(page: Page) -> dict[str, Any]:
    waivers = await run_in_threadpool(page.services.amnesties.list, page.who())
    categories = await run_in_threadpool(page.services.tariff.catalogue)
    return {
        "waivers": waivers,
        "categories": categories,
        "labels": {c.code: (c.label_ar if page.lang == "ar" else c.label_fr) for c in categories},
        "notice": _notice(page),
        "can_write": page.who().role == Role.CNSS_ADMIN,
        "chosen": [],
    }


async def waivers(page: Page) -> Response:
    context = await _waivers_context(page)
    form = dict.fromkeys(WAIVER_FIELDS, "")
    return page.render("cnss_admin/waivers.html", form=form, invalid="", **context)


async def create_waiver(page: Page) -> Response:
    """A campaign window waiving late surcharges (``AmnestyService.create``)."""
    typed = {name: page.field(name) for name in WAIVER_FIELDS}
    chosen = [c for c in page.fields("categories") if c]
    try:
        body = _model(
            WaiverIn,
            {
                "starts_on": typed["starts_on"],
                "ends_on": typed["ends_on"],
                "categories": chosen,
                "reason": typed["reason"],
            },
        )
        await run_in_threadpool(
            lambda: page.services.amnesties.create(page.who(), **body.model_dump())
        )
    except QurbError as refused:
        if refused.field is None:
            raise
        context = await _waivers_context(page)
        context["chosen"] = chosen
        return _refused(page, refused, "cnss_admin/waivers.html", context, typed)
    return page.redirect(f"{PREFIX}/cnss/waivers?done=waiver_created")


# -- the registry, read nationally --------------------------------------------------------


async def offices(page: Page) -> Response:
    async def read(q: OfficeQuery) -> list[Any]:
        return await run_in_threadpool(
            lambda: page.services.registry.list_offices(
                page.who(), network=q.network, city=q.city, limit=LISTING + 1, offset=q.offset
            )
        )

    return await _listing(page, "cnss_admin/offices.html", OfficeQuery, ("network", "city"), read)


async def terminals(page: Page) -> Response:
    async def read(q: TerminalQuery) -> list[Any]:
        return await run_in_threadpool(
            lambda: page.services.terminals.list(
                page.who(), office=q.office, status=q.status, limit=LISTING + 1, offset=q.offset
            )
        )

    return await _listing(
        page, "cnss_admin/terminals.html", TerminalQuery, ("office", "status"), read
    )


async def users(page: Page) -> Response:
    async def read(q: UserQuery) -> list[Any]:
        return await run_in_threadpool(
            lambda: page.services.users.list(
                page.who(), role=q.role, office=q.office, limit=LISTING + 1, offset=q.offset
            )
        )

    roles = [(r.value, page.t(f"cnss.users.role_{r.value}")) for r in Role]
    return await _listing(
        page, "cnss_admin/users.html", UserQuery, ("role", "office"), read, roles=roles
    )


async def _listing(
    page: Page,
    template: str,
    model: type[Q],
    filters: tuple[str, ...],
    read: Callable[[Q], Awaitable[list[Any]]],
    **extra: Any,
) -> Response:
    """A national listing filtered by the API's own query model; a refused filter shows the
    page again, empty, with the filter named in the reader's words."""
    kept = {name: page.query(name) for name in filters}
    context = {"rows": [], "more": False, "next_offset": 0, "filters": kept, **extra}
    try:
        q = _query(page, model, (*filters, "offset"))
        rows = await read(q)
    except QurbError as refused:
        if refused.field is None:
            raise
        return _refused(page, refused, template, context, kept)
    context.update(rows=rows[:LISTING], more=len(rows) > LISTING, next_offset=q.offset + LISTING)
    return page.render(template, **context)
