"""The claims of a signed document as a small CBOR map, and back, without losing a bit.

The compact form of a receipt (``compact_receipt``) carries exactly the claims of its JWS:
``decode_claims(encode_claims(c)) == c`` for every document the hub signs. Names become the
small integer keys of ``KEYS`` (one byte each below 24, RFC 8949 §3.1) and the values that
repeat a known shape take a shorter one:

* a month ``"2026-03"`` → the integer ``year * 12 + month - 1``;
* a day ``"2026-03-14"`` → days since 1970-01-01;
* an instant with the UTC offset (``signed_at``, ``recorded_at``) → its unix seconds, or
  ``[seconds, microseconds]`` when it has a fraction;
* ``signed_at`` → ``[seconds]``, the seconds from ``recorded_at`` (negative: it was signed
  before), when it has no fraction and ``recorded_at`` is there;
* ``iat`` → ``true`` when it is the seconds of ``recorded_at`` (it always is: the same
  instant, said twice by the JWS);
* a collection's ``months`` → runs ``[first month, count, kind, centimes]``, so that a year
  paid ahead costs no more than a month;
* a word of a closed list (``kind``, ``status``…) → its index in ``ENUMS``;
* a receipt number ``R-<network>-<8 digits>`` (a deposit number ``D-<network>-<8 digits>``)
  of the document's own network → the integer;
* a list of words of a closed list (a slip's ``warnings``) → the list of their indexes;
* a registration number (10 digits) → the integer;
* ``log_entry`` (32 lowercase hex characters) → its 16 bytes.

Each shorter form has another CBOR type than the text it replaces, so a value that does not
fit its shape exactly (another offset, an unknown word, a number of another network) simply
stays as it is, and a claim with no key (a document kind added later) keeps its name as a
text key: nothing is refused, nothing is guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["ENUMS", "KEYS", "SHAPES", "decode_claims", "encode_claims"]

# Never renumber: a key once printed on a ticket is read by every verifier after it. Add new
# claims at the end. The most frequent claims of a collection receipt take the one-byte keys.
KEYS: dict[str, int] = {
    "receipt_number": 1,
    "kind": 2,
    "iat": 3,
    "network": 4,
    "office": 5,
    "terminal": 6,
    "operator": 7,
    "signed_at": 8,
    "recorded_at": 9,
    "log_index": 10,
    "log_entry": 11,
    "log_by": 12,
    "registration_number": 13,
    "amount_centimes": 14,
    "months": 15,
    "month": 16,
    "business_date": 17,
    "late": 18,
    "signed_business_date": 19,
    "reverses": 20,
    "approved_by": 21,
    "category": 22,
    "bracket": 23,
    "coverage_start": 24,
    "certificate": 25,
    "name": 26,
    "status": 27,
    "reason_code": 28,
    "reason": 29,
    "covered_through": 30,
    "paid_through": 31,
    "oldest_unpaid": 32,
    "open_until": 33,
    "coverage_starts": 34,
    "reopens": 35,
    "unpaid_months": 36,
    "gaps": 37,
    "as_of": 38,
    "due_centimes": 39,
    "paid_centimes": 40,
    "outstanding_centimes": 41,
    "surcharge_centimes": 42,
    "surcharge_paid_centimes": 43,
    # A deposit slip and its cancellation (docs/deposits.md).
    "deposit_number": 44,
    "beneficiary": 45,
    "dependent_id": 46,
    "care_kind": 47,
    "care_from": 48,
    "care_to": 49,
    "amount_spent_centimes": 50,
    "documents": 51,
    "deadline": 52,
    "warnings": 53,
    "cancels": 54,
}
NAMES = {number: name for name, number in KEYS.items()}

# Closed lists of words, by claim; append only (the index is what is printed).
ENUMS: dict[str, tuple[str, ...]] = {
    "kind": (
        "enrollment",
        "collection",
        "reversal",
        "certificate",
        "due",
        "surcharge",
        "deposit",
        "deposit_cancel",
    ),
    "certificate": ("rights", "payments"),
    "beneficiary": ("worker", "dependent"),
    "care_kind": (
        "consultation",
        "pharmacy",
        "laboratory",
        "imaging",
        "hospitalisation",
        "dental",
        "optical",
        "other",
    ),
    "warnings": ("rights_closed", "deadline_passed", "beneficiary_not_declared"),
    "status": ("open", "suspended", "waiting"),
    "reason_code": ("paid_up", "within_grace", "not_started", "suspended", "waiting"),
}

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEX16 = re.compile(r"[0-9a-f]{32}")
_DIGITS10 = re.compile(r"\d{10}")
_EPOCH_DAY = date(1970, 1, 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _month_in(value: Any) -> Any:
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    return int(match[1]) * 12 + int(match[2]) - 1 if match else value


def _month_out(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 120_000:
        return f"{value // 12:04d}-{value % 12 + 1:02d}"
    return value


def _day_in(value: Any) -> Any:
    if not (isinstance(value, str) and _DAY.fullmatch(value)):
        return value
    try:
        return (date.fromisoformat(value) - _EPOCH_DAY).days
    except ValueError:
        return value


def _day_out(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (_EPOCH_DAY + timedelta(days=value)).isoformat()
    return value


def _instant_in(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.utcoffset() != timedelta(0):
        return value
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    return seconds if moment.microsecond == 0 else [seconds, moment.microsecond]


def _instant_out(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (_EPOCH + timedelta(seconds=value)).isoformat()
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return (_EPOCH + timedelta(seconds=value[0], microseconds=value[1])).isoformat()
    return value


def _hex_in(value: Any) -> Any:
    return bytes.fromhex(value) if isinstance(value, str) and _HEX16.fullmatch(value) else value


def _hex_out(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


def _registration_in(value: Any) -> Any:
    return int(value) if isinstance(value, str) and _DIGITS10.fullmatch(value) else value


def _registration_out(value: Any) -> Any:
    return f"{value:010d}" if type(value) is int and value >= 0 else value


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
# The shape each claim's value takes, by name; the verification page reads this very table
# (``qurb.verify`` embeds it), so the browser's decoder and this one cannot drift apart.
SHAPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "month",
            "coverage_start",
            "covered_through",
            "paid_through",
            "oldest_unpaid",
            "open_until",
            "coverage_starts",
            "reopens",
            "as_of",
        ),
        "month",
    ),
    "unpaid_months": "months",
    "months": "allocations",
    "gaps": "months",
    "business_date": "day",
    "signed_business_date": "day",
    "care_from": "day",
    "care_to": "day",
    "deadline": "day",
    "signed_at": "instant",
    "recorded_at": "instant",
    "log_entry": "hex",
    "registration_number": "registration",
    "receipt_number": "receipt",
    "reverses": "receipt",
    "cancels": "receipt",
    "deposit_number": "deposit",
    **dict.fromkeys(ENUMS, "enum"),
    "warnings": "enums",
}
_CODECS: dict[str, Codec] = {
    "month": (_month_in, _month_out),
    "day": (_day_in, _day_out),
    "instant": (_instant_in, _instant_out),
    "hex": (_hex_in, _hex_out),
    "registration": (_registration_in, _registration_out),
}


# Numbers of the document's own network, ``<letter>-<network>-<8 digits>``, by shape: a
# receipt's (``R``) and a deposit's envelope label (``D``, docs/deposits.md).
_NUMBERED = {"receipt": "R", "deposit": "D"}


def _index_of(name: str, value: Any) -> bool:
    return type(value) is int and 0 <= value < len(ENUMS[name])


_ALLOCATION = frozenset({"month", "kind", "amount_centimes"})


def _runs(value: Any) -> list[list[int]] | None:
    """A collection's ``months`` as runs ``[first month, count, kind, centimes]`` of
    consecutive months of one kind and amount (a year paid ahead is one run); None for a
    list of another shape (a payments certificate's months), encoded as it is."""
    runs: list[list[int]] = []
    if not isinstance(value, list | tuple) or not value:
        return None
    for entry in value:
        if not (isinstance(entry, Mapping) and set(entry) == _ALLOCATION):
            return None
        month, kind, amount = _month_in(entry["month"]), entry["kind"], entry["amount_centimes"]
        if type(month) is not int or type(amount) is not int or kind not in ENUMS["kind"]:
            return None
        code = ENUMS["kind"].index(kind)
        last = runs[-1] if runs else None
        if last and last[0] + last[1] == month and last[2:] == [code, amount]:
            last[1] += 1
        else:
            runs.append([month, 1, code, amount])
    return runs


# A run longer than this is no payment the hub would take: refused, not expanded.
MAX_RUN = 600


def _is_run(run: Any) -> bool:
    return (
        isinstance(run, list | tuple)
        and len(run) == len(_ALLOCATION) + 1
        and all(type(part) is int for part in run)
        and 0 < run[1] <= MAX_RUN
        and 0 <= run[2] < len(ENUMS["kind"])
    )


def _allocations(runs: list[Any]) -> list[dict[str, Any]]:
    return [
        {"month": _month_out(first + i), "kind": ENUMS["kind"][code], "amount_centimes": amount}
        for first, count, code, amount in runs
        for i in range(count)
    ]


def _value_in(name: str, value: Any, network: Any) -> Any:  # noqa: PLR0911 - one per shape
    shape = SHAPES.get(name)
    if shape == "allocations" and (runs := _runs(value)) is not None:
        return runs
    if shape == "months" and isinstance(value, list | tuple):
        return [_month_in(v) for v in value]
    if shape in _NUMBERED and isinstance(network, str) and isinstance(value, str):
        prefix = f"{_NUMBERED[shape]}-{network}-"
        digits = value.removeprefix(prefix)
        if value.startswith(prefix) and len(digits) == 8 and digits.isdigit():
            return int(digits)
        return value
    if shape == "enum" and isinstance(value, str) and value in ENUMS[name]:
        return ENUMS[name].index(value)
    if (
        shape == "enums"
        and isinstance(value, list | tuple)
        and all(v in ENUMS[name] for v in value)
    ):
        return [ENUMS[name].index(v) for v in value]
    if shape in _CODECS:
        return _CODECS[shape][0](value)
    if isinstance(value, Mapping):
        return _map_in(value, network)
    if isinstance(value, list | tuple):
        return [_map_in(v, network) if isinstance(v, Mapping) else v for v in value]
    return value


def _value_out(name: str, value: Any, network: Any) -> Any:  # noqa: PLR0911 - one per shape
    shape = SHAPES.get(name)
    if shape == "allocations" and value and all(_is_run(run) for run in value):
        return _allocations(list(value))
    if shape == "months" and isinstance(value, list | tuple):
        return [_month_out(v) for v in value]
    if shape in _NUMBERED and isinstance(network, str) and type(value) is int:
        return f"{_NUMBERED[shape]}-{network}-{value:08d}"
    if shape == "enum" and type(value) is int and 0 <= value < len(ENUMS[name]):
        return ENUMS[name][value]
    if (
        shape == "enums"
        and isinstance(value, list | tuple)
        and all(_index_of(name, v) for v in value)
    ):
        return [ENUMS[name][v] for v in value]
    if shape in _CODECS:
        return _CODECS[shape][1](value)
    if isinstance(value, Mapping):
        return _map_out(value, network)
    if isinstance(value, list | tuple):
        return [_map_out(v, network) if isinstance(v, Mapping) else v for v in value]
    return value


def _map_in(claims: Mapping[str, Any], network: Any) -> dict[int | str, Any]:
    """Known names by their number, their values shortened where that gives them back
    exactly; any other claim under its own name, as it is."""
    encoded: dict[int | str, Any] = {}
    for name, value in claims.items():
        short = _value_in(name, value, network) if name in KEYS else value
        if name in KEYS and _same(_value_out(name, short, network), value):
            encoded[KEYS[name]] = short
        else:
            encoded[name] = value
    return encoded


def _map_out(encoded: Mapping[Any, Any], network: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for key, value in encoded.items():
        if isinstance(key, str):
            claims[key] = value  # a claim carried under its name is carried as it is
        elif isinstance(key, int) and key in NAMES:
            claims[NAMES[key]] = _value_out(NAMES[key], value, network)
        else:
            raise ValueError("a claim's key is neither a known number nor a name")
    return claims


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: ``True`` is not ``1`` here, unlike in Python."""
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(
        b, sort_keys=True, default=repr
    )


def encode_claims(claims: Mapping[str, Any]) -> dict[int | str, Any]:
    """The CBOR map of ``claims`` (see the module's docstring)."""
    encoded = _map_in(claims, claims.get("network"))
    if "iat" in claims and _seconds(claims.get("recorded_at")) == claims["iat"]:
        encoded[KEYS["iat"]] = True  # the seconds of recorded_at, said once
    signed, recorded = encoded.get(KEYS["signed_at"]), _seconds(claims.get("recorded_at"))
    if type(signed) is int and recorded is not None:
        encoded[KEYS["signed_at"]] = [signed - recorded]  # seconds before it was recorded
    if not _same(decode_claims(encoded), dict(claims)):
        raise ValueError("these claims do not survive the compact form")  # a codec bug
    return encoded


def decode_claims(encoded: Mapping[Any, Any]) -> dict[str, Any]:
    """The claims of a CBOR map made by :func:`encode_claims`."""
    network = encoded.get(KEYS["network"], encoded.get("network"))
    signed = encoded.get(KEYS["signed_at"])
    if isinstance(signed, list | tuple) and len(signed) == 1 and type(signed[0]) is int:
        recorded = _instant_out(encoded.get(KEYS["recorded_at"]))
        anchor = _seconds(recorded)
        if anchor is None:
            raise ValueError("signed_at is relative to a recorded_at that is not there")
        encoded = {**encoded, KEYS["signed_at"]: anchor + signed[0]}
    claims = _map_out(encoded, network)
    if claims.get("iat") is True:
        claims["iat"] = _seconds(claims.get("recorded_at"))
    return claims


def _seconds(instant: Any) -> int | None:
    """The unix seconds of an ISO 8601 instant (None for anything else)."""
    try:
        return (
            int(datetime.fromisoformat(instant).timestamp()) if isinstance(instant, str) else None
        )
    except ValueError:
        return None
