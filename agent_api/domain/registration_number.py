"""CNSS registration numbers that Qurb issues: a 9-digit serial and one Damm check digit.

A counter operator copies these numbers by hand onto receipts and reads them back over the
phone, so the check digit must catch the two mistakes people make most: one wrong digit and
two neighbouring digits swapped. Luhn misses the swap 09 ↔ 90 and ISO 7064 mod 97 needs two
digits; the Damm algorithm catches every single-digit error and every adjacent transposition
with one decimal digit (H. M. Damm, *Total anti-symmetrische Quasigruppen*, 2004).
"""

from __future__ import annotations

import re

REGISTRATION_NUMBER: re.Pattern[str] = re.compile(r"^[0-9]{10}$")

SERIAL_MIN = 1
SERIAL_MAX = 999_999_999

# A totally anti-symmetric quasigroup of order 10 with a zero diagonal (Damm 2004, the table
# most implementations publish). Each row and each column is a permutation of 0-9, which is
# what catches a single wrong digit; anti-symmetry ((c*x)*y == (c*y)*x only if x == y) is
# what catches a swap of neighbours. The unit tests check both properties on the table itself.
DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_DIGITS = re.compile(r"[0-9]+")


def _interim(digits: str) -> int:
    interim = 0
    for character in digits:
        interim = DAMM_TABLE[interim][ord(character) - ord("0")]
    return interim


def check_digit(digits: str) -> str:
    """The Damm check digit of a non-empty string of ASCII digits."""
    # fullmatch with an explicit ASCII class: str.isdigit() would accept "²" or Arabic-Indic
    # digits, which have no place in a CNSS number.
    if not _DIGITS.fullmatch(digits):
        raise ValueError("a check digit is computed on ASCII digits only")
    return str(_interim(digits))


def format_registration_number(serial: int) -> str:
    """The 10-digit registration number of ``serial`` (zero-padded, check digit appended)."""
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise ValueError("a registration serial must be between 1 and 999999999")
    body = f"{serial:09d}"
    return body + check_digit(body)


def is_valid_registration_number(text: str) -> bool:
    """Whether ``text`` is exactly a number ``format_registration_number`` could have issued."""
    # fullmatch, not match: "$" alone would accept a trailing newline.
    if not REGISTRATION_NUMBER.fullmatch(text):
        return False
    # Serial 0 is never issued, although its checksum happens to be valid.
    return text[:9] != "000000000" and _interim(text) == 0
