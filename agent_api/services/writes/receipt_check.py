"""Checking a receipt someone hands an auditor, and that the log only ever grew, against the
keys the service publishes and the log itself: what the back office's auditor screens show.

The checks are the ``qurb-audit`` command line's (``verify-receipt``, ``verify-proof``,
``consistency``), done against the live log instead of files: the receipt's signature under
a published receipt key (``GET /v1/keys``), the leaf it names recording it, that leaf's
inclusion proof up to the latest checkpoint, the checkpoint's signature under the log key
(``GET /v1/audit/key``), and a consistency proof between two checkpoints. Each failed check
is a finding, a stable code the screen words; nothing here writes but the checkpoint the log
signs when it grew (as ``GET /v1/audit/receipts/{number}/proof`` does).

A receipt also reaches the auditor as the QR code printed on the worker's ticket: the QR holds
the link to the public verification page with the receipt's compact form (``QC1:``; on
tickets printed before it, the compact JWS itself; ``terminal_client.printing``), so
``receipt_from_image`` reads it out of a photo or a scan (zxing-cpp, the maintained C++ port
of ZXing, through Pillow) and the same checks follow. The image is read in memory, within
a size and a pixel cap set here, and is never kept nor logged: only the text of its QR goes
on.
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass, field
from typing import Any

import jwt
import zxingcpp
from PIL import Image, UnidentifiedImageError

from agent_api.errors import NotFound, ValidationFailed
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import NoteVerifier, open_checkpoint
from agent_api.protocol.compact_receipt import PREFIX as COMPACT_PREFIX
from agent_api.protocol.compact_receipt import CompactInvalid, compact_verify
from agent_api.protocol.errors import ProtocolError
from agent_api.services.log.transparency import AuditLog
from agent_api.services.writes.receipt_standing import receipt_keys
from agent_api.services.writes.receipts import RECEIPT_TYPE

# A compact JWS receipt is well under 2 KB; anything far longer is not one.
MAX_RECEIPT_CHARS = 8000
MAX_NOTE_CHARS = 4000
# A phone's photo of a ticket is a few MB; a scan at 300 dpi far less.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 40 million pixels: a 48 MP phone's full-size photo is refused (send it reduced), anything
# smaller is read. Pillow's own decompression-bomb guard (89 million by default, global to
# the process) is made an error here, and this cap, checked on the header before a single
# pixel is decoded, is the one that applies.
MAX_IMAGE_PIXELS = 40_000_000
# What a ticket's QR may come as: the terminal's PNG, a phone's JPEG.
IMAGE_FORMATS = ("PNG", "JPEG")


@dataclass
class ReceiptCheck:
    """What was checked and what was found; ``findings`` empty means the receipt holds."""

    kid: str | None = None
    signature_valid: bool = False
    number: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    index: int | None = None
    entry: str | None = None
    leaf: str | None = None
    proof: list[str] = field(default_factory=list)
    checkpoint_size: int | None = None
    checkpoint_root: str | None = None
    checkpoint_origin: str | None = None
    checkpoint_signed: bool = False
    included: bool = False
    findings: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.findings


@dataclass
class ConsistencyCheck:
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]
    consistent: bool


def _receipt_keys(jwks: dict[str, Any]) -> dict[str, Any]:
    return {
        k.get("kid"): jwt.PyJWK(k).key for k in jwks.get("keys", []) if k.get("crv") == "Ed25519"
    }


def check_receipt(audit: AuditLog, jwks: dict[str, Any], jws: str) -> ReceiptCheck:
    """Check a pasted receipt: its JWS, or its compact form or the verification link that
    carries it. A text that is neither is refused (``ValidationFailed``); a receipt that
    fails a check comes back with its findings."""
    compact = _compact_in(jws)
    if compact is not None:
        return _check_compact(audit, jwks, compact)
    token = "".join(jws.split())
    if not token or len(token) > MAX_RECEIPT_CHARS or token.count(".") != 2:
        raise ValidationFailed("paste the receipt's compact JWS", field="receipt")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise ValidationFailed("paste the receipt's compact JWS", field="receipt") from None
    found = ReceiptCheck(kid=str(header.get("kid")) if header.get("kid") else None)
    if _signed_receipt(found, token, str(header.get("typ")), jwks):
        _in_the_log(found, audit)
    return found


def _compact_in(text: str) -> str | None:
    """The compact receipt in a pasted text or a QR's link (``…/V#QC1:…``), or None."""
    at = text.find(COMPACT_PREFIX)
    return text[at:].strip() if at >= 0 and len(text) <= MAX_RECEIPT_CHARS else None


def _check_compact(audit: AuditLog, jwks: dict[str, Any], compact: str) -> ReceiptCheck:
    """A compact receipt: its signature under a published key, then the receipt the hub
    stored under its number, checked as a pasted JWS is, and found to say the same."""
    keys = receipt_keys(jwks)
    refused: CompactInvalid | None = None
    # A link copied from a browser has its spaces as %20 (Base45 has spaces).
    for reading in dict.fromkeys((compact, compact.replace("%20", " "))):
        try:
            claims = compact_verify(reading, keys)
            break
        except CompactInvalid as error:
            refused = error
    else:
        assert refused is not None
        if refused.code == "compact_malformed":
            raise ValidationFailed(
                "paste the receipt's compact JWS, or its QC1: form", field="receipt"
            ) from None
        unknown = refused.code == "compact_unknown_key"
        return ReceiptCheck(findings=["unknown_key" if unknown else "bad_signature"])
    number = claims.get("receipt_number")
    try:
        stored = str(audit.receipt_proof(str(number))["receipt"])
    except NotFound:
        found = ReceiptCheck(signature_valid=True, claims=claims, findings=["not_in_the_log"])
        found.number = number if isinstance(number, str) else None
        return found
    checked = check_receipt(audit, jwks, stored)
    if jwt.decode(stored, options={"verify_signature": False}) != claims:
        checked.findings.append("not_the_stored_receipt")
    return checked


def _signed_receipt(found: ReceiptCheck, token: str, typ: str, jwks: dict[str, Any]) -> bool:
    """The signature under a published key, and claims that name a receipt and its leaf."""
    key = _receipt_keys(jwks).get(found.kid or "")
    if key is None:
        found.findings.append("unknown_key")
        return False
    try:
        found.claims = jwt.decode(token, key, algorithms=["EdDSA"])
    except jwt.InvalidTokenError:
        found.findings.append("bad_signature")
        return False
    found.signature_valid = True
    if typ != RECEIPT_TYPE:
        found.findings.append("not_a_receipt")
        return False
    number = found.claims.get("receipt_number")
    found.number = number if isinstance(number, str) else None
    index, entry = found.claims.get("log_index"), found.claims.get("log_entry")
    if found.number is None or not (isinstance(index, int) or isinstance(entry, str)):
        found.findings.append("before_the_log")
        return False
    found.index = index if isinstance(index, int) else None
    found.entry = entry if isinstance(entry, str) else None
    return True


def _in_the_log(found: ReceiptCheck, audit: AuditLog) -> None:
    """The leaf the receipt names records it, and is in the tree the latest checkpoint signs."""
    assert found.number is not None
    try:
        bundle = audit.receipt_proof(found.number)
    except NotFound:
        found.findings.append("not_in_the_log")
        return
    found.leaf = str(bundle["leaf"])
    found.proof = list(bundle["proof"])
    recorded = json.loads(found.leaf)
    if found.entry is not None:  # named by its entry id: the leaf must carry that id
        if recorded.get("entry") != found.entry:
            found.findings.append("other_leaf")
        found.index = int(bundle["index"])
    elif bundle["index"] != found.index:
        found.findings.append("other_leaf")
    if (recorded.get("decision") or recorded).get("receipt") != found.number:
        found.findings.append("leaf_records_another")
    try:
        checkpoint = open_checkpoint(
            str(bundle["checkpoint"]), [NoteVerifier.from_string(audit.verifier_key())]
        )
    except (ProtocolError, ValueError):
        found.findings.append("checkpoint_unsigned")
        return
    found.checkpoint_signed = True
    found.checkpoint_size = checkpoint.size
    found.checkpoint_root = checkpoint.root_hash.hex()
    found.checkpoint_origin = checkpoint.origin
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(found.leaf.encode()),
            int(bundle["index"]),
            checkpoint.size,
            [bytes.fromhex(h) for h in found.proof],
            checkpoint.root_hash,
        )
        found.included = True
    except ProtocolError:
        found.findings.append("not_included")


def _refused(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field="image")


def receipt_from_image(data: bytes) -> str:
    """The compact JWS the one QR code in a PNG or JPEG image holds. Refused
    (``ValidationFailed``, field ``image``) with a code the screen words: ``image_too_large``,
    ``image_not_an_image``, ``image_no_qr``, ``image_several_qr``, ``image_not_a_receipt``."""
    if len(data) > MAX_IMAGE_BYTES:
        raise _refused("image_too_large", f"the image is over {MAX_IMAGE_BYTES} bytes")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise _refused("image_too_large", f"the image is over {MAX_IMAGE_PIXELS} pixels")
            image.load()
            grey = _on_white(image)
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as refused:
            if isinstance(refused, UnidentifiedImageError):
                raise _refused("image_not_an_image", "not a PNG or JPEG image") from None
            raise _refused("image_too_large", "the image has too many pixels") from None
        except (OSError, SyntaxError, ValueError):  # truncated or corrupt data
            raise _refused("image_not_an_image", "the image cannot be decoded") from None
    found = zxingcpp.read_barcodes(
        grey,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        text_mode=zxingcpp.TextMode.Plain,
    )
    if not found:
        raise _refused("image_no_qr", "no QR code found in the image")
    if len(found) > 1:
        raise _refused("image_several_qr", f"{len(found)} QR codes in the image, not one")
    text = _receipt_text(found[0].bytes)
    if text is None:
        raise _refused("image_not_a_receipt", "the QR code does not hold a Qurb receipt")
    return text


def _on_white(image: Image.Image) -> Image.Image:
    """The image in grey, a transparent background made white: a QR exported with clear
    light modules would otherwise turn all black, since dropping alpha keeps their colour."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        sheet = Image.new("RGBA", image.size, (255, 255, 255, 255))
        sheet.alpha_composite(image.convert("RGBA"))
        image = sheet
    return image.convert("L")


def _receipt_text(data: bytes) -> str | None:
    """A QR's bytes as a Qurb receipt: the verification link's compact form, or a compact
    JWS whose header says it is a Qurb receipt; else None (another link, a payment QR,
    another signed document). The signature is checked after."""
    try:
        compact = _compact_in(data.decode("ascii"))
    except UnicodeDecodeError:
        return None
    if compact is not None:
        return compact
    if len(data) > MAX_RECEIPT_CHARS or data.count(b".") != 2:
        return None
    try:
        text = data.decode("ascii")
        header = jwt.get_unverified_header(text)
    except (UnicodeDecodeError, jwt.InvalidTokenError):
        return None
    return text if header.get("typ") == RECEIPT_TYPE else None


def check_consistency(audit: AuditLog, old: int | str, new: int | None) -> ConsistencyCheck:
    """That the log at checkpoint ``new`` (the latest when None) extends ``old``: a size the
    log signed, or the text of a checkpoint an auditor kept (its signature checked first)."""
    trusted = [NoteVerifier.from_string(audit.verifier_key())]
    if isinstance(old, str):
        if len(old) > MAX_NOTE_CHARS:
            raise ValidationFailed("paste one checkpoint note", field="old")
        try:
            kept = open_checkpoint(old.replace("\r\n", "\n").strip() + "\n", trusted)
        except (ProtocolError, ValueError):
            raise ValidationFailed(
                "that checkpoint is not signed by this log's key", field="old"
            ) from None
        old_size, old_root = kept.size, kept.root_hash
    else:
        old_size, old_root = old, bytes.fromhex(audit.checkpoint_at(old).root_hash)
    latest = audit.latest_checkpoint() if new is None else audit.checkpoint_at(new)
    if old_size > latest.size:
        raise ValidationFailed("the older checkpoint must be the smaller", field="old")
    if old_size == 0:
        raise ValidationFailed("the older checkpoint must hold at least one leaf", field="old")
    proof = audit.consistency_proof(old_size, latest.size)
    try:
        merkle.verify_consistency(
            old_size,
            latest.size,
            old_root,
            bytes.fromhex(latest.root_hash),
            [bytes.fromhex(h) for h in proof],
        )
        consistent = True
    except ProtocolError:
        consistent = False
    return ConsistencyCheck(
        old_size, latest.size, old_root.hex(), latest.root_hash, proof, consistent
    )
