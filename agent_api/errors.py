"""The one error tree of Qurb. Services raise these; the HTTP layer maps them to responses.

::

    QurbError                      base; ``code`` is stable, ``message`` is for people
    ├── ConfigurationError         settings or keys unusable at start-up
    ├── ValidationFailed           an input field is wrong (names the field)        422
    ├── MalformedRequest           the body is not JSON / not an object             400
    ├── NotFound                   no such object, or not in the caller's scope     404
    ├── Conflict                   the request contradicts the stored state         409
    │   ├── AlreadyExists          a unique code or name is taken                   409
    │   └── Inactive               a suspended/revoked network, office, user…       409
    ├── AuthenticationFailed       no or bad credentials / token                    401
    │   └── AccountLocked          too many failed logins; retry later              423
    ├── Forbidden                  authenticated, but the role may not do this      403
    ├── PayloadTooLarge            the body exceeds the configured cap              413
    ├── RateLimited                too many attempts from one terminal; wait        429
    └── Unavailable                the database cannot be reached                   503

Messages name the field or the reason and never carry a secret, a password, a token or a CIN.
"""

from __future__ import annotations

from collections.abc import Mapping


class QurbError(Exception):
    """Base of every error the service raises on purpose."""

    code = "error"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: Mapping[str, str | int] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        # Extra machine-readable facts for the client (the existing registration number, the
        # most an amount may be, in integer centimes); never personal data beyond what the
        # caller may see. Each is declared in the error schema (http/schemas/common.py).
        self.details: dict[str, str | int] = dict(details or {})


class ConfigurationError(QurbError):
    """Raised at start-up when a setting or key is missing, malformed or a placeholder."""

    code = "configuration_error"


class ValidationFailed(QurbError):
    """Raised when an input field has the wrong shape or value; ``field`` names it."""

    code = "validation_failed"
    status = 422


class MalformedRequest(QurbError):
    """Raised when the body is not valid JSON or not the expected top-level shape."""

    code = "malformed_request"
    status = 400


class NotFound(QurbError):
    """Raised when an object does not exist or lies outside the caller's scope (no leak)."""

    code = "not_found"
    status = 404


class Conflict(QurbError):
    """Raised when a request contradicts what is stored."""

    code = "conflict"
    status = 409


class AlreadyExists(Conflict):
    """Raised when a unique code, username or key is already taken."""

    code = "already_exists"


class Inactive(Conflict):
    """Raised when the network, office, terminal or user involved is suspended or revoked."""

    code = "inactive"


class AuthenticationFailed(QurbError):
    """Raised for missing, wrong or expired credentials or tokens."""

    code = "authentication_failed"
    status = 401


class AccountLocked(AuthenticationFailed):
    """Raised when an account is locked after repeated failed logins."""

    code = "account_locked"
    status = 423


class Forbidden(QurbError):
    """Raised when the caller's role may not perform the action."""

    code = "forbidden"
    status = 403


class PayloadTooLarge(QurbError):
    """Raised when a request body exceeds ``max_body_bytes``."""

    code = "payload_too_large"
    status = 413


class RateLimited(QurbError):
    """Raised when a terminal has failed too many sign-ins within the throttling window."""

    code = "rate_limited"
    status = 429


class Unavailable(QurbError):
    """Raised when the database is unreachable; safe for the client to retry."""

    code = "unavailable"
    status = 503
