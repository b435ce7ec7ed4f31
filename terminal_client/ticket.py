"""Receipts: read and verify the signed JWS offline, print it as a thermal ticket with its QR.

A receipt is a compact JWS (RFC 7515) signed with EdDSA (RFC 8037) by the CNSS receipt key;
the QR code on the ticket holds the JWS itself, so anyone with the published key set
(``GET /v1/keys``) can check a ticket without calling the server. Tickets are plain text of
32 characters a line (58 mm paper) or 48 (80 mm), the widths ESC/POS printers use with their
default 12-dot font; ``ticket_pdf`` draws the same text for printers that only take files.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import qrcode  # type: ignore[import-untyped]

# The one name needed from cryptography: the verification itself goes through the protocol
# package's key helpers, which depend on it already.
from cryptography.exceptions import InvalidSignature
from PIL import Image, ImageDraw, ImageFont, features

from agent_api.protocol.encoding import b64url_decode
from agent_api.protocol.errors import EncodingError, KeyFormatError
from agent_api.protocol.keys import public_key_from_raw, public_raw_from_b64url
from terminal_client.i18n import N_, translator
from terminal_client.money import format_mad

__all__ = [
    "HEADER",
    "LINE_WIDTH",
    "RECEIPT_TYPE",
    "ReceiptInvalid",
    "decode_unverified",
    "qr_png",
    "qr_text",
    "render_ticket",
    "ticket_pdf",
    "verify_receipt",
]

RECEIPT_TYPE = "qurb-receipt+jwt"
HEADER = "CNSS — AMO TNS"
LINE_WIDTH: Mapping[int, int] = {58: 32, 80: 48}
_ED25519_SIGNATURE_SIZE = 64


class ReceiptInvalid(Exception):
    """The receipt does not verify; ``reason`` says why, in English, for logs and support."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- reading and verifying ------------------------------------------------------------------


def _parts(jws: str) -> tuple[str, str, str]:
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise ReceiptInvalid("not a compact JWS: it needs three dot-separated parts")
    return parts[0], parts[1], parts[2]


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(part))
    except (EncodingError, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ReceiptInvalid(f"the {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise ReceiptInvalid(f"the {what} is not a JSON object")
    return value


def decode_unverified(jws: str) -> dict[str, Any]:
    """The receipt's claims, without checking the signature: for display only."""
    return _json_object(_parts(jws)[1], "payload")


def _public_key(jwks: Mapping[str, Any], kid: str) -> bytes:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ReceiptInvalid("the cached key set has no 'keys' list")
    jwk = next((k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid), None)
    if jwk is None:
        raise ReceiptInvalid(f"key {kid!r} is not in the published key set")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ReceiptInvalid(f"key {kid!r} is not an Ed25519 key")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "EdDSA") != "EdDSA":
        raise ReceiptInvalid(f"key {kid!r} is not published for EdDSA signatures")
    try:
        return public_raw_from_b64url(str(jwk.get("x", "")))
    except KeyFormatError:
        raise ReceiptInvalid(f"key {kid!r} has a malformed 'x'") from None


def verify_receipt(jws: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``jws`` against the cached JWKS and return its claims, or raise ReceiptInvalid.

    The algorithm is pinned to EdDSA (so ``alg: none`` and HMAC tricks fail, RFC 8725 §3.1)
    and the type to ``qurb-receipt+jwt``: the JWKS also holds the session-token key, and a
    session token must never pass for a receipt (RFC 8725 §3.11).
    """
    header_part, payload_part, signature_part = _parts(jws)
    header = _json_object(header_part, "header")
    if header.get("alg") != "EdDSA":
        raise ReceiptInvalid(f"algorithm {header.get('alg')!r} is refused; receipts use EdDSA")
    if header.get("typ") != RECEIPT_TYPE:
        raise ReceiptInvalid(f"type {header.get('typ')!r} is not a receipt")
    if "crit" in header:
        raise ReceiptInvalid("the header has critical extensions this terminal does not know")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ReceiptInvalid("the header names no key (kid)")
    public_raw = _public_key(jwks, kid)
    claims = _json_object(payload_part, "payload")
    try:
        signature = b64url_decode(signature_part)
    except EncodingError:
        raise ReceiptInvalid("the signature is not base64url") from None
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        raise ReceiptInvalid("an Ed25519 signature is 64 bytes")
    try:
        signed = f"{header_part}.{payload_part}".encode("ascii")
        public_key_from_raw(public_raw).verify(signature, signed)
    except InvalidSignature:
        raise ReceiptInvalid("the signature does not match: the receipt was altered") from None
    return claims


# -- the text ticket ---------------------------------------------------------------------------

_KINDS = {
    "enrollment": N_("Enrollment"),
    "collection": N_("Collection"),
    "reversal": N_("Reversal"),
    "certificate": N_("Certificate"),
}
_CERTIFICATES = {"rights": N_("Rights certificate"), "payments": N_("Payment certificate")}
_MONTH_KINDS = {"due": N_("Contribution"), "surcharge": N_("Late surcharge")}
_RIGHTS = {"open": N_("open"), "suspended": N_("suspended"), "waiting": N_("waiting")}
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _casablanca() -> ZoneInfo | None:
    try:
        return ZoneInfo("Africa/Casablanca")
    except ZoneInfoNotFoundError:  # Windows without the tzdata package
        return None


def _local_time(iso: str) -> str:
    """``2026-11-22T13:05:00+00:00`` → ``22/11/2026 14:05`` in Casablanca (Morocco's clocks
    follow UTC+1 but fall back to UTC during Ramadan, so no fixed offset will do)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the server writes UTC; be explicit about it
    zone = _casablanca()
    if zone is None:
        return moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _month(value: object) -> str:
    match = _MONTH.fullmatch(str(value))
    return f"{match[2]}/{match[1]}" if match else str(value)


def _wrap(text: str, cols: int) -> list[str]:
    return textwrap.wrap(text, cols, break_on_hyphens=False) or [""]


def _centre(text: str, cols: int) -> list[str]:
    return [line.center(cols).rstrip() for line in _wrap(text, cols)]


def _pair(label: str, value: str, cols: int) -> list[str]:
    """``label`` left, ``value`` right on one line, or on two when they do not fit."""
    gap = cols - len(label) - len(value)
    if gap >= 2:  # two spaces at least, so the columns stay apart (see _isolate_cells)
        return [label + " " * gap + value]
    return _wrap(label, cols) + [line.rjust(cols) for line in _wrap(value, cols)]


def _text(value: object, _: Callable[[str], str]) -> str:
    return str(value)


def _month_of(value: object, _: Callable[[str], str]) -> str:
    return _month(value)


def _rights(value: object, _: Callable[[str], str]) -> str:
    return _(_RIGHTS[str(value)]) if str(value) in _RIGHTS else str(value)


def _amount(value: object, _: Callable[[str], str]) -> str:
    return format_mad(value) if isinstance(value, int) else str(value)


# The receipt's own lines in print order: claim, label, how to show its value.
_DETAILS: tuple[tuple[str, str, Callable[[object, Callable[[str], str]], str]], ...] = (
    ("receipt_number", N_("Receipt"), _text),
    ("registration_number", N_("Registration number"), _text),
    ("name", N_("Name"), _text),
    ("amount_centimes", N_("Amount"), _amount),
    ("reverses", N_("Reverses receipt"), _text),
    ("approved_by", N_("Approved by"), _text),
    ("category", N_("Category"), _text),
    ("bracket", N_("Bracket"), _text),
    ("coverage_start", N_("Coverage starts"), _month_of),
    ("status", N_("Rights"), _rights),
    ("covered_through", N_("Covered through"), _month_of),
    ("reason", N_("Reason"), _text),
    ("as_of", N_("As of"), _month_of),
)


def _body(claims: Mapping[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    values = dict(claims)
    if values.get("kind") == "reversal" and isinstance(values.get("amount_centimes"), int):
        values["amount_centimes"] = -values["amount_centimes"]  # money going back out
    return [
        (_(label), show(values[key], _))
        for key, label, show in _DETAILS
        if values.get(key) not in (None, "")
    ]


def _months(months: Sequence[Mapping[str, Any]], _: Callable[[str], str]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for item in months:
        month = _month(item.get("month", ""))
        if "amount_centimes" in item:  # a collection's allocation
            kind = str(item.get("kind", ""))
            label = _(_MONTH_KINDS[kind]) if kind in _MONTH_KINDS else kind
            lines.append((f"{month} {label}", format_mad(int(item["amount_centimes"]))))
        else:  # a payment certificate's month: what was due, what was paid
            lines.append((f"{month} {_('Due')}", format_mad(int(item.get("due_centimes", 0)))))
            lines.append((f"{month} {_('Paid')}", format_mad(int(item.get("paid_centimes", 0)))))
    return lines


def _where_and_when(claims: Mapping[str, Any], _: Callable[[str], str]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for key, label in (
        ("network", N_("Network")),
        ("office", N_("Office")),
        ("terminal", N_("Terminal")),
        ("operator", N_("Operator")),
        ("business_date", N_("Business date")),
    ):
        if claims.get(key) not in (None, ""):
            value = str(claims[key])
            if key == "business_date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                value = "/".join(reversed(value.split("-")))
            lines.append((_(label), value))
    for key, label in (("signed_at", N_("Signed at")), ("recorded_at", N_("Recorded at"))):
        if isinstance(claims.get(key), str):
            lines.append((_(label), _local_time(claims[key])))
    if isinstance(claims.get("log_index"), int):
        lines.append((_("Log entry"), str(claims["log_index"])))
    return lines


def render_ticket(
    claims: Mapping[str, Any],
    *,
    width: Literal[58, 80] = 58,
    lang: str = "fr",
    provisional: bool = False,
) -> str:
    """The ticket as text, no line longer than the paper allows (32 or 48 characters).

    ``provisional`` is for a write queued offline: no receipt exists yet, so the ticket
    says so at both ends, and does not invite anyone to verify it.
    """
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    cols, _ = LINE_WIDTH[width], translator(lang)
    kind = str(claims.get("kind", ""))
    out = [*_centre(HEADER, cols), "=" * cols]
    out += _centre((_(_KINDS[kind]) if kind in _KINDS else kind).upper(), cols)
    certificate = str(claims.get("certificate", ""))
    if certificate in _CERTIFICATES:
        out += _centre(_(_CERTIFICATES[certificate]), cols)
    banner = ["*" * cols, *_centre(_("Provisional ticket — not yet confirmed by CNSS"), cols)]
    banner.append("*" * cols)
    if provisional:
        out += banner
    out.append("-" * cols)
    for label, value in _body(claims, _):
        out += _pair(label, value, cols)
    months = claims.get("months")
    if isinstance(months, list) and months:
        out.append("-" * cols)
        if kind == "collection":
            out += _wrap(_("Months credited"), cols)
        for label, value in _months(months, _):
            out += _pair(label, value, cols)
    out.append("-" * cols)
    for label, value in _where_and_when(claims, _):
        out += _pair(label, value, cols)
    out.append("=" * cols)
    if provisional:
        out += banner
        out += _centre(_("Queued: will be sent when the network is back"), cols)
    else:
        out += _centre(_("Verify this receipt: scan the code"), cols)
    return "\n".join(out) + "\n"


# -- QR code, PNG and PDF ----------------------------------------------------------------------

# Thermal printers print 203 dots per inch; of 58 mm (80 mm) paper, 48 mm (72 mm) is printable.
_DPI = 203
_PRINTABLE_DOTS = {58: 384, 80: 576}
# Monospace TrueType fonts with Arabic glyphs, looked up by file name in the system's font
# folders (Debian/Fedora/Arch ship DejaVu; Windows and macOS ship Courier New).
_MONOSPACE_FONTS: tuple[str, ...] = ("DejaVuSansMono.ttf", "cour.ttf", "Courier New.ttf")
_LATIN1_LOOKALIKES = str.maketrans({"—": "-", "–": "-", "’": "'", "…": "..."})


def _qr_matrix(data: str) -> list[list[bool]]:
    """Modules of the QR code for ``data`` (True is dark), with the 4-module quiet zone.

    Level M (15 % recovery) survives a crease or a faded thermal line on a kept ticket.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_text(data: str, *, dark_background: bool = True) -> str:
    """The QR code drawn with half-block characters, two module rows per text line.

    Scanners need dark modules on a light ground: on a dark terminal the light modules and
    the quiet zone are what gets drawn, on a light one (``dark_background=False``) the dark.
    """
    ink = [[dark != dark_background for dark in row] for row in _qr_matrix(data)]
    if len(ink) % 2:
        ink.append([dark_background] * len(ink[0]))  # more quiet zone
    blocks = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    lines = [
        "".join(blocks[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(ink[::2], ink[1::2], strict=True)
    ]
    return "\n".join(lines) + "\n"


def _qr_image(matrix: list[list[bool]], module_px: int) -> Image.Image:
    size = len(matrix)
    image = Image.new("1", (size, size), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image.resize((size * module_px, size * module_px), Image.Resampling.NEAREST)


def qr_png(data: str, path: Path) -> None:
    """Write the QR code of ``data`` as a black-and-white PNG, 8 pixels a module."""
    _qr_image(_qr_matrix(data), 8).save(path, format="PNG")


def _truetype(char_px: int) -> ImageFont.FreeTypeFont | None:
    """The first monospace font found, sized so one character is at most ``char_px`` wide."""
    for name in _MONOSPACE_FONTS:
        try:
            probe = ImageFont.truetype(name, size=100)
        except OSError:
            continue
        return ImageFont.truetype(name, size=int(char_px * 100 / probe.getlength("M")))
    return None


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_CELL_GAP = re.compile(r"( {2,})")


def _isolate_cells(line: str) -> str:
    """Keep a line's columns in place when it holds right-to-left text.

    The ticket is laid out in columns separated by two or more spaces. Each column becomes a
    first-strong isolate (Unicode bidi, UAX #9 §2.4): an Arabic label reads right to left in
    its own column, and "1 234,56 MAD" after it is not reordered to "MAD 234,56 1".
    """
    if not _RTL.search(line):
        return line
    cells = _CELL_GAP.split(line)
    return "".join(cell if not cell.strip() else f"\u2068{cell}\u2069" for cell in cells)


def _text_image(lines: Sequence[str], cols: int, width_px: int) -> Image.Image:
    font = _truetype(width_px // cols)
    if font is not None:
        ascent, descent = font.getmetrics()
        line_px = ascent + descent + 2
        image = Image.new("L", (width_px, line_px * len(lines)), 255)
        draw = ImageDraw.Draw(image)
        # Lines run left to right as their columns were counted; see _isolate_cells.
        direction = "ltr" if features.check_feature("raqm") else None
        for row, line in enumerate(lines):
            shown = _isolate_cells(line) if direction else line
            draw.text((0, row * line_px), shown, font=font, fill=0, direction=direction)
        return image
    # Pillow's built-in bitmap font: 6×11 dots, monospace, Latin-1 only; scaled up to fill.
    bitmap = ImageFont.load_default_imagefont()
    latin = [line.translate(_LATIN1_LOOKALIKES) for line in lines]
    for line in latin:
        if not all(ord(char) < 256 for char in line):
            raise ValueError(
                "no monospace font for this text on this computer: install DejaVu Sans Mono"
            )
    image = Image.new("L", (cols * 6, 12 * len(latin)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(latin):
        draw.text((0, row * 12), line, font=bitmap, fill=0)
    scale = max(1, width_px // (cols * 6))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def ticket_pdf(ticket_text: str, qr_data: str, path: Path, *, width: Literal[58, 80] = 58) -> None:
    """A one-page PDF the width of the paper: the ticket in a monospace font, then the QR.

    The page is drawn at the printer's 203 dpi and stored 1-bit, so nothing is resampled or
    JPEG-blurred on the way to the printer (a blurred QR does not scan).
    """
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    printable = _PRINTABLE_DOTS[width]
    paper = round(width / 25.4 * _DPI)
    text = _text_image(ticket_text.rstrip("\n").split("\n"), LINE_WIDTH[width], printable)
    matrix = _qr_matrix(qr_data)
    qr = _qr_image(matrix, max(1, min(6, printable // len(matrix))))
    margin = (paper - printable) // 2
    page = Image.new("L", (paper, margin + text.height + margin + qr.height + 2 * margin), 255)
    page.paste(text, (margin, margin))
    page.paste(qr.convert("L"), ((paper - qr.width) // 2, 2 * margin + text.height))
    page.convert("1", dither=Image.Dither.NONE).save(path, format="PDF", resolution=_DPI)
