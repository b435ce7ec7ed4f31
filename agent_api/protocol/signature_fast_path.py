"""Reading the one signature shape every conforming terminal sends, without a general parser.

A Qurb terminal sends a single ``Signature-Input`` member whose inner list of strings and
integer or string parameters is already in canonical RFC 8941 form, and a single
``Signature`` member holding a padded byte sequence. Two regular expressions recognise that
shape; anything else returns ``None`` and goes through the general parser
(:mod:`.structured`, on ``http-sfv``), which gives it its precise answer. Whatever the two
fields hold, the answer is the general parser's: tests/unit/protocol/
test_protocol_signature_fast_path.py checks it, and bench/sfv_parse.py measures why this
path is kept (``sfv_parse_us_general`` against ``sfv_parse_us_fast``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

__all__ = ["CanonicalSignature", "read_canonical"]

_KEY = r"[a-z*][a-z0-9_\-.*]*"
_STRING = r'"[ !#-\[\]-~]*"'
# Canonical integers only: no leading zero, no "-0", at most 15 digits (RFC 8941 §3.3.1).
_VALUE = rf"0|-?[1-9][0-9]{{0,14}}|{_STRING}"
_CANONICAL_INPUT = re.compile(
    rf"(?P<label>{_KEY})=(?P<raw>\((?P<items>(?:{_STRING}(?: {_STRING})*)?)\)"
    rf"(?P<params>(?:;{_KEY}=(?:{_VALUE}))*))"
)
_CANONICAL_SIGNATURE = re.compile(rf"(?P<label>{_KEY})=:(?P<bytes>[A-Za-z0-9+/]*={{0,2}}):")
_ITEM = re.compile(_STRING)
_PARAM = re.compile(rf";({_KEY})=({_VALUE})")


@dataclass(frozen=True)
class CanonicalSignature:
    """What the two fields say, before the RFC 9421 rules on components and parameters."""

    components: tuple[str, ...]
    params: dict[str, int | str]
    signature: bytes
    params_raw: str


def read_canonical(input_value: str, signature_value: str, label: str) -> CanonicalSignature | None:
    """The signature labelled ``label`` when both fields have the canonical single-member
    shape; ``None`` otherwise (the general parser then decides)."""
    matched = _CANONICAL_INPUT.fullmatch(input_value)
    signed = _CANONICAL_SIGNATURE.fullmatch(signature_value)
    if matched is None or signed is None or matched["label"] != label or signed["label"] != label:
        return None
    # No escapes can occur: the string pattern excludes '"' and '\'.
    components = tuple(item[1:-1] for item in _ITEM.findall(matched["items"]))
    params: dict[str, int | str] = {}
    for key, value in _PARAM.findall(matched["params"]):
        if key in params:
            return None  # the general parser keeps the last, and refuses the form
        params[key] = value[1:-1] if value.startswith('"') else int(value)
    try:
        signature = base64.b64decode(signed["bytes"], validate=True)
    except ValueError:
        return None
    return CanonicalSignature(components, params, signature, matched["raw"])
