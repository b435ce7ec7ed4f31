"""Enrollment payloads for tests: valid by default, each field overridable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month, format_month


def today() -> date:
    return datetime.now(UTC).astimezone(CASABLANCA).date()


def this_month() -> str:
    return format_month(first_of_month(today()))


def month_offset(months: int) -> str:
    return format_month(add_months(first_of_month(today()), months))


def worker_payload(cin: str = "BE123456", **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "cin": cin,
        "last_name": "El Amrani",
        "first_name": "Fatima",
        "first_name_ar": "فاطمة",
        "birth_date": "1985-04-12",
        "sex": "F",
        "phone": "+212612345678",
        "address": "12 rue des Orangers",
        "city": "Rabat",
        "category": "ARTISAN",
        "bracket": "REGISTERED",
        "document_number": "ART-2023-0042",
        "coverage_start": this_month(),
        "dependents": [],
    }
    payload.update(overrides)
    return payload


def child(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "relation": "child",
        "last_name": "El Amrani",
        "first_name": "Youssef",
        "birth_date": "2015-09-01",
        "sex": "M",
    }
    payload.update(overrides)
    return payload


def spouse(cin: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "relation": "spouse",
        "cin": cin,
        "last_name": "Bennani",
        "first_name": "Karim",
        "birth_date": "1982-01-20",
        "sex": "M",
    }
    payload.update(overrides)
    return payload
