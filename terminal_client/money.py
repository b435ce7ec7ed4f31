"""Dirham amounts as the counter shows and types them, kept in integer centimes.

``format_mad`` writes the French convention the CNSS uses on paper (``1 234,56 MAD``);
``parse_mad`` reads what an operator types. Neither ever goes through a float: 218,10 MAD is
21 810 centimes exactly, not 21 809.999….
"""

from __future__ import annotations

import re

from terminal_client.i18n import N_

__all__ = ["AmountError", "format_mad", "parse_mad"]

# Arabic keyboards type Arabic-Indic (U+0660…) or Eastern Arabic-Indic (U+06F0…) digits and
# the Arabic decimal and thousands separators; they mean the same amount.
_ARABIC_INPUT = str.maketrans(
    {
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        "\u066b": ",",  # ARABIC DECIMAL SEPARATOR
        "\u066c": " ",  # ARABIC THOUSANDS SEPARATOR
        "\u00a0": " ",  # NO-BREAK SPACE, as French formatting copies it
        "\u202f": " ",  # NARROW NO-BREAK SPACE, likewise
    }
)
# Whole dirhams either plain or grouped by three with single spaces, then up to two decimals.
_AMOUNT = re.compile(r"(?P<units>[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?")
_SUFFIX = re.compile(r"\s*(?:MAD|DH|DHS)\s*$", re.IGNORECASE)
# A counter never takes a billion dirhams; longer input is a typing accident, not an amount.
_MAX_UNIT_DIGITS = 9


class AmountError(ValueError):
    """An amount the operator typed cannot be read.

    ``message_id`` is the English gettext id of the message, so the CLI can show it in the
    operator's language; ``str()`` of the error is the English text.
    """

    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


def format_mad(centimes: int) -> str:
    """``123456`` → ``"1 234,56 MAD"``: space-grouped dirhams, decimal comma, two decimals."""
    sign = "-" if centimes < 0 else ""
    units, cents = divmod(abs(centimes), 100)
    grouped = f"{units:,}".replace(",", " ")
    return f"{sign}{grouped},{cents:02d} MAD"


def parse_mad(text: str) -> int:
    """Read ``"218"``, ``"218,5"``, ``"218.50"``, ``"1 234,56"`` or ``"1234,56 MAD"`` as centimes.

    Raises :class:`AmountError` (a ``ValueError``) for empty input, a negative amount, more
    than two decimals, or anything that is not digits.
    """
    cleaned = _SUFFIX.sub("", text.translate(_ARABIC_INPUT).strip()).strip()
    if not cleaned:
        raise AmountError(N_("Enter an amount."))
    if cleaned.startswith("-"):
        raise AmountError(N_("An amount cannot be negative."))
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        if re.fullmatch(r"[0-9 ]+[.,][0-9]{3,}", cleaned):
            raise AmountError(N_("An amount has at most two decimals (centimes)."))
        raise AmountError(N_("Type the amount in digits, for example 218 or 218,50."))
    units = match["units"].replace(" ", "")
    if len(units.lstrip("0")) > _MAX_UNIT_DIGITS:
        raise AmountError(N_("This amount is too large."))
    cents = (match["cents"] or "0").ljust(2, "0")
    return int(units) * 100 + int(cents)
