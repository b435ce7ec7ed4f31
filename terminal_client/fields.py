"""What the operator types at the counter, checked as it is typed.

Each check takes the answer and returns ``None`` when it is acceptable, or the message id
of what is wrong, translated when shown. They hold the same rules as the service's input
models (``agent_api/domain/identity.py`` for the CIN, phone and names, ISO dates and
``YYYY-MM`` months) so the operator hears of a mistake at the question, not after the
last one; the service still checks everything, and a test keeps both sides in agreement.
The terminal may not import the service's domain (tests/unit/test_layering.py), hence the
copy. A message never repeats what was typed: a CIN or a phone number is personal data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from terminal_client.i18n import N_

__all__ = [
    "Check",
    "check_birth_date",
    "check_cin",
    "check_city",
    "check_code",
    "check_month",
    "check_name",
    "check_optional_cin",
    "check_phone",
    "check_sex",
    "check_text",
    "normalize_cin",
]

Check = Callable[[str], str | None]

_CIN = re.compile(r"[A-Z]{1,2}[0-9]{3,6}")
_CIN_SEPARATORS = re.compile(r"[\s-]+")
# +212, 00212 or 0, then 9 digits starting 5 (fixed lines), 6 or 7 (mobiles).
_PHONE = re.compile(r"(?:\+212|00212|0)[567][0-9]{8}")
_PHONE_SEPARATORS = re.compile(r"[\s.-]+")
_NAME_MAX = 60
_NAME_PUNCTUATION = frozenset(" '-")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,23}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CASABLANCA = ZoneInfo("Africa/Casablanca")  # the counter's calendar day
# A city holds letters; a run of 6 digits is a phone number (or a postcode) typed one
# question too late.
_DIGIT_RUN = re.compile(r"[0-9]{6}")


def normalize_cin(text: str) -> str:
    return _CIN_SEPARATORS.sub("", text).upper()


def check_cin(text: str) -> str | None:
    if _CIN.fullmatch(normalize_cin(text)):
        return None
    return N_("A CIN is one or two letters followed by 3 to 6 digits, for example BE123456.")


def check_optional_cin(text: str) -> str | None:
    return None if not text.strip() else check_cin(text)


def check_phone(text: str) -> str | None:
    if _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", text)):
        return None
    return N_("Type a Moroccan phone number: 06…, 07…, 05… or +212…, 10 digits after the 0.")


def _is_latin_letter(character: str) -> bool:
    return character.isalpha() and unicodedata.name(character, "").startswith("LATIN ")


def check_name(text: str) -> str | None:
    name = " ".join(unicodedata.normalize("NFC", text).replace("’", "'").split())
    if not name:
        return N_("This answer is required.")
    if len(name) > _NAME_MAX:
        return N_("A name has at most 60 characters.")
    if not _is_latin_letter(name[0]) or not all(
        _is_latin_letter(c) or c in _NAME_PUNCTUATION for c in name
    ):
        return N_("Type the name in Latin letters, as on the CIN (spaces, ' and - allowed).")
    return None


def check_text(text: str) -> str | None:
    if not text.strip():
        return N_("This answer is required.")
    if len(text.strip()) > 200:
        return N_("This answer is too long (at most 200 characters).")
    return None


def check_city(text: str) -> str | None:
    city = text.strip()
    if not city:
        return N_("This answer is required.")
    if _DIGIT_RUN.search(re.sub(r"[\s.+-]", "", city)) or not any(c.isalpha() for c in city):
        return N_("This looks like a phone number, not a city: type the city's name.")
    if len(city) > 60:
        return N_("A city's name has at most 60 characters.")
    return None


def check_sex(text: str) -> str | None:
    return None if text.strip().upper() in ("F", "M") else N_("Type F or M.")


def check_code(text: str) -> str | None:
    if _CODE.fullmatch(text.strip().upper()):
        return None
    return N_("Type a code in capital letters, for example ARTISAN.")


def _parse_date(text: str) -> date | None:
    if not _DATE.fullmatch(text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def check_birth_date(text: str, *, today: date | None = None) -> str | None:
    """A real calendar date (no 30 February), not in the future, not before 1900."""
    if not _DATE.fullmatch(text.strip()):
        return N_("Type the date as YYYY-MM-DD, for example 1985-04-12.")
    born = _parse_date(text)
    if born is None:
        return N_("This date does not exist in the calendar: check the day and the month.")
    if born > (today or datetime.now(_CASABLANCA).date()):
        return N_("A birth date cannot be in the future.")
    if born.year < 1900:
        return N_("A birth date before 1900 is not plausible.")
    return None


def check_month(text: str) -> str | None:
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        return N_("Type the month as YYYY-MM, for example 2026-01.")
    return None
