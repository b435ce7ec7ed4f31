"""Identity fields typed at the counter: CIN, phone number, names, age.

Every check returns the cleaned value or raises ``ValueError`` with a message that says what
is wrong and never repeats what was typed: a CIN is personal data under Moroccan law 09-08,
and error messages end up in logs and on screens that other people see.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# One or two letters (the issuing prefecture of the old CIN, kept on the CNIE) and a serial.
_CIN = re.compile(r"[A-Z]{1,2}[0-9]{3,6}")
_CIN_SEPARATORS = re.compile(r"[\s-]+")
CIN_PROBLEM = "is not a valid CIN: one or two letters followed by 3 to 6 digits"

CIN_VISIBLE = 3

# Moroccan numbers have 9 digits after the country code; 5 is fixed lines, 6 and 7 mobiles.
_NATIONAL = r"([567][0-9]{8})"
_PHONE_FORMS = (
    re.compile(r"\+212" + _NATIONAL),
    re.compile(r"00212" + _NATIONAL),
    re.compile(r"0" + _NATIONAL),
)
_PHONE_SEPARATORS = re.compile(r"[\s.-]+")
PHONE_PROBLEM = "is not a Moroccan phone number (+212…)"

NAME_MAX = 60
_SPACES = re.compile(r"\s+")
_NAME_PUNCTUATION = frozenset(" '-")
_ARABIC_BLOCK = range(0x0600, 0x0700)


def normalize_cin(text: str) -> str:
    """The CIN in upper case without spaces or hyphens, or ``ValueError``."""
    candidate = _CIN_SEPARATORS.sub("", text).upper()
    if not _CIN.fullmatch(candidate):
        raise ValueError(CIN_PROBLEM)
    return candidate


def mask_cin(cin: str) -> str:
    """The CIN with only its last 3 characters visible, for receipts and screens."""
    if len(cin) <= CIN_VISIBLE:
        # Showing "the last 3" of a 3-character value would show all of it.
        return "*" * len(cin)
    return "*" * (len(cin) - CIN_VISIBLE) + cin[-CIN_VISIBLE:]


def normalize_phone(text: str) -> str:
    """A Moroccan number in E.164 (``+212`` and 9 digits), or ``ValueError``."""
    compact = _PHONE_SEPARATORS.sub("", text)
    for form in _PHONE_FORMS:
        match = form.fullmatch(compact)
        if match:
            return "+212" + match.group(1)
    raise ValueError(PHONE_PROBLEM)


def _clean_name(text: str) -> str:
    cleaned = _SPACES.sub(" ", text).strip()
    if not 1 <= len(cleaned) <= NAME_MAX:
        raise ValueError(f"must be 1 to {NAME_MAX} characters")
    return cleaned


def _is_latin_letter(character: str) -> bool:
    return character.isalpha() and unicodedata.name(character, "").startswith("LATIN ")


def check_latin_name(text: str) -> str:
    """A name in Latin letters (accents allowed), spaces, apostrophes and hyphens, cleaned."""
    # NFC first so that "e" + combining acute, as some keyboards send it, is one letter "é";
    # the typographic apostrophe is the same name as the straight one (Aït ’Ali / Aït 'Ali).
    name = _clean_name(unicodedata.normalize("NFC", text).replace("’", "'"))
    if not _is_latin_letter(name[0]) or not all(
        _is_latin_letter(c) or c in _NAME_PUNCTUATION for c in name
    ):
        raise ValueError(
            "must start with a letter and contain only Latin letters, spaces, "
            "apostrophes and hyphens"
        )
    return name


def check_arabic_name(text: str) -> str:
    """A name in Arabic letters and spaces, cleaned."""
    # NFKC folds the presentation forms (U+FB50–U+FEFF) that text copied from PDFs carries
    # back to the ordinary Arabic letters of U+0600–U+06FF.
    name = _clean_name(unicodedata.normalize("NFKC", text))
    if not all(c == " " or (ord(c) in _ARABIC_BLOCK and c.isalpha()) for c in name):
        raise ValueError("must contain only Arabic letters and spaces")
    return name


# A city's name holds letters; a run of 6 digits (separators aside) is a phone number typed
# one question too late, and an address field is no place to store one (law 09-08: a phone is
# personal data and is sealed where it belongs, not copied in clear into another column).
_CITY_DIGIT_RUN = re.compile(r"[0-9]{6}")
_CITY_SEPARATORS = re.compile(r"[\s.+()/-]+")


def check_city(text: str) -> str:
    """A city's name, cleaned: 1 to 60 characters with at least one letter, not a phone."""
    city = _clean_name(unicodedata.normalize("NFC", text))
    if _CITY_DIGIT_RUN.search(_CITY_SEPARATORS.sub("", city)):
        raise ValueError("looks like a phone number, not a city: type the city's name")
    if not any(c.isalpha() for c in city):
        raise ValueError("must contain letters: the city's name")
    return city


def age_on(birth: date, on: date) -> int:
    """Completed years on ``on``; someone born on 29 February ages on 1 March in other years."""
    if on < birth:
        raise ValueError("the birth date is after the reference date")
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - int(before_birthday)
