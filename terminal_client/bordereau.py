"""The transmittal slip (bordereau) the courier carries with the day's envelopes to CNSS:
printed like a receipt, 32 or 48 characters a line, with the signed manifest as its QR.

CNSS's clerk counts the envelopes and the documents against it and signs; the QR holds the
manifest itself (compact JWS), so the list can be checked offline with the hub's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from terminal_client.deposits import day_shown
from terminal_client.i18n import N_, translator
from terminal_client.ticket import HEADER, LINE_WIDTH, _centre, _local_time, _pair, _wrap

__all__ = ["render_bordereau"]

TITLE = N_("Transmittal slip")


def render_bordereau(
    answer: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    office: str,
    width: Literal[58, 80] = 58,
    lang: str = "fr",
) -> str:
    """The bordereau from the hub's answer (number, deposits, count, documents) and the
    manifest's claims (network, who closed it and when, its audit-log entry)."""
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    cols, _ = LINE_WIDTH[width], translator(lang)
    out = [*_centre(HEADER, cols), "=" * cols, *_centre(_(TITLE).upper(), cols), "-" * cols]
    out += _pair(_("Slip number"), str(answer["number"]), cols)
    out += _pair(_("Business date"), day_shown(str(answer["business_date"])), cols)
    if claims.get("network"):
        out += _pair(_("Network"), str(claims["network"]), cols)
    out += _pair(_("Office"), office or str(claims.get("office") or ""), cols)
    if claims.get("closed_by"):
        out += _pair(_("Closed by"), str(claims["closed_by"]), cols)
    if isinstance(claims.get("closed_at"), str):
        out += _pair(_("Closed at"), _local_time(claims["closed_at"]), cols)
    out.append("-" * cols)
    deposits = [str(number) for number in answer.get("deposits", [])]
    for index, number in enumerate(deposits, start=1):
        out += _pair(f"{index:>3}.", number, cols)
    out.append("-" * cols)
    out += _pair(_("Envelopes"), str(answer["count"]), cols)
    out += _pair(_("Documents to count"), str(answer["documents"]), cols)
    if isinstance(claims.get("log_entry"), str):
        out += _pair(_("Log entry"), str(claims["log_entry"])[:12], cols)
    out.append("=" * cols)
    for who in (N_("Courier's signature"), N_("Received at CNSS: signature and date")):
        out += [*_wrap(_(who) + ":", cols), "", "_" * cols]
    out += _centre(_("Verify the list: scan the code"), cols)
    return "\n".join(out) + "\n"
