"""Money as the counterparts write it, to and from integer centimes.

Two spellings reach us: the CNSS ledger's French decimal comma (``1 234,56``, thousands
grouped by a space, a no-break space U+00A0 or a narrow no-break space U+202F) and the ISO 20022
decimal point of camt.053 (``284310.50``). Both are read with string and integer arithmetic
only: a float cannot hold 0.10 exactly, and one centime off is a reconciliation finding.
"""

from __future__ import annotations

import re

from agent_api.errors import ValidationFailed

# What French-locale software puts between thousands groups: Excel and LibreOffice write a
# no-break space (U+00A0) or, in newer locales, a narrow one (U+202F).
THOUSANDS_SEPARATORS = " \u00a0\u202f"
_DROP_SEPARATORS = str.maketrans("", "", THOUSANDS_SEPARATORS)
# How a refusal describes what was expected, for the file readers' own messages.
COMMA_AMOUNT = "an amount with a decimal comma and two decimals (e.g. 1 234,56)"

# An integer part grouped by thousands, e.g. "1 234 567" (the plain case "1234" never gets
# here: it takes the fast path in parse_amount).
_GROUPED = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+")
_DECIMAL_POINT = re.compile(r"([0-9]+)(?:\.([0-9]{1,5}))?")

# Far above any real amount, and far below CPython's 4,300-digit cap on int(str): a giant
# digit string is refused as a wrong amount rather than crashing the parser.
_MAX_INTEGER_DIGITS = 16
# ISO 20022 ActiveOrHistoricCurrencyAndAmount: totalDigits 18, fractionDigits 5.
_ISO_TOTAL_DIGITS = 18


def _refuse(text: str, *, field: str, line: int, code: str, what: str) -> ValidationFailed:
    where = f"line {line}, {field}" if line else field
    return ValidationFailed(
        f"{where}: {text!r} is not {what}",
        code=code,
        field=field,
        details={"line": str(line)} if line else {},
    )


def parse_amount(text: str, *, field: str, line: int, code: str = "invalid_amount") -> int:
    """Centimes from a decimal-comma amount: ``218,00``, ``1 308,00``, ``1\u00a0234,56``.

    Exactly two decimals, digits only, never negative, thousands grouped by threes when
    grouped at all. Anything else raises ValidationFailed naming the line and field."""
    whole, comma, cents = text.partition(",")
    if comma and len(cents) == 2 and cents.isascii() and cents.isdigit():
        # The common case, "218,00": one isdigit and one int, no regular expression.
        if whole.isascii() and whole.isdigit() and len(whole) <= _MAX_INTEGER_DIGITS:
            return int(whole + cents)
        if _GROUPED.fullmatch(whole) is not None:
            digits = whole.translate(_DROP_SEPARATORS)
            if len(digits) <= _MAX_INTEGER_DIGITS:
                return int(digits + cents)
    raise _refuse(
        text,
        field=field,
        line=line,
        code=code,
        what=COMMA_AMOUNT,
    )


def parse_signed_amount(text: str, *, field: str, line: int, code: str = "invalid_amount") -> int:
    """Like :func:`parse_amount`, with an optional leading ``-``: only a total (the ledger
    trailer's C minus D) may be negative."""
    if text.startswith("-"):
        return -parse_amount(text[1:], field=field, line=line, code=code)
    return parse_amount(text, field=field, line=line, code=code)


def parse_decimal_point(
    text: str, *, field: str, where: str = "", code: str = "invalid_amount"
) -> int:
    """Centimes from an ISO 20022 amount: ``284310.50``, ``98445``, ``1.5``.

    The schema allows five fraction digits, but the dirham has two: further digits must be
    zeros (``1.50000``), never a fraction of a centime. Surrounding XML whitespace is
    ignored; a sign, an exponent or a thousands separator is refused."""
    label = f"{where}, {field}" if where else field
    found = _DECIMAL_POINT.fullmatch(text.strip())
    if found is not None:
        whole, fraction = found[1], found[2] or ""
        if len(whole) + len(fraction) <= _ISO_TOTAL_DIGITS:
            if fraction[2:].strip("0") == "":
                return int(whole) * 100 + int(fraction[:2].ljust(2, "0"))
            raise ValidationFailed(
                f"{label}: {text.strip()!r} has a fraction of a centime",
                code=code,
                field=field,
            )
    raise ValidationFailed(
        f"{label}: {text.strip()!r} is not an amount with a decimal point (e.g. 284310.50)",
        code=code,
        field=field,
    )


def format_comma(centimes: int, *, thousands: str = " ") -> str:
    """``123456`` → ``1 234,56``; ``thousands=""`` writes no grouping. A negative total
    (only the ledger trailer has one) gets a leading ``-``."""
    sign = "-" if centimes < 0 else ""
    whole, cents = divmod(abs(centimes), 100)
    digits = str(whole)
    if thousands and len(digits) > 3:
        head = len(digits) % 3 or 3
        groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
        digits = thousands.join(groups)
    return f"{sign}{digits},{cents:02d}"


def format_point(centimes: int) -> str:
    """``28431050`` → ``284310.50``, the ISO 20022 spelling (never negative there: the
    direction is ``CdtDbtInd``)."""
    if centimes < 0:
        raise ValueError("an ISO 20022 amount is never negative; the sign is CdtDbtInd")
    whole, cents = divmod(centimes, 100)
    return f"{whole}.{cents:02d}"
