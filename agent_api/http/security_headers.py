"""The security headers every response carries, and the Content-Security-Policy of a page.

Every answer (JSON, CSV, HTML, errors, even a 413 sent before routing) says: do not sniff
another type than the one declared, send no Referer onwards, never render me in a frame. Its
default policy allows nothing at all (``default-src 'none'``): right for JSON, and fail-closed
for a page nobody gave a policy.

A page the service serves sets its own policy with ``content_security_policy``, naming the
SHA-256 of each inline ``<style>`` it carries (CSP Level 3 hash sources). The pages keep
their style inline because the same file is also written to disk and mailed; a hash lets
exactly that style apply, where ``'unsafe-inline'`` would let any injected one apply too.
No page runs a script, so none is allowed.

The back office (``qurb.backoffice``) is the exception that proves the rule: its screens load
their stylesheet and the vendored htmx from the service itself, so ``PAGE_POLICY`` allows
scripts, styles, XHR and images from ``'self'`` only (SVG charts are inline elements, not
scripts; ``data:`` images are the receipt QR codes a page may show) and still nothing inline.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

CSP_HEADER = b"content-security-policy"
# Never framed (clickjacking), no <base> to re-point relative links, forms post only here.
_LOCKED = ("frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'")


def style_hash(css: str) -> str:
    """The CSP source that lets exactly ``<style>css</style>`` apply."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def content_security_policy(*, styles: Iterable[str] = ()) -> str:
    """``default-src 'none'`` and the locks, plus ``style-src`` for these inline styles."""
    directives = ["default-src 'none'"]
    hashes = sorted({style_hash(css) for css in styles})
    if hashes:
        directives.append("style-src " + " ".join(hashes))
    return "; ".join([*directives, *_LOCKED])


DEFAULT_POLICY = content_security_policy()
# The back office's screens: their own files only, never anything inline (no 'unsafe-inline',
# no hash, no nonce), and no eval (htmx runs with allowEval off).
PAGE_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        *_LOCKED,
    ]
)
ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_ALWAYS_NAMES = frozenset(name for name, _ in ALWAYS)


def secured(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with the security headers added; a policy the endpoint set is kept."""
    out = [(name, value) for name, value in headers if name not in _ALWAYS_NAMES]
    out += ALWAYS
    if all(name != CSP_HEADER for name, _ in out):
        out.append((CSP_HEADER, DEFAULT_POLICY.encode()))
    return out
