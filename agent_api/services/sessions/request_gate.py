"""What the service reads before a terminal-signed request's handler runs, in one statement.

A signed request needs, before anything else: the signing key with its terminal, office and
network (to verify the signature and refuse what is revoked or suspended), the stored
response of its sequence number (a retry is answered from it), and the operator's session
behind its token. Read one after the other, that was three transactions and a dozen
statements on every request; joined, it is one read, without a transaction on PostgreSQL
and without the writer slot on SQLite. Nothing is cached: a key revoked or a session ended
a moment ago is refused on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, bindparam, select

from agent_api.persistence.fast import Fast
from agent_api.persistence.tables import (
    IdempotencyRecord,
    Network,
    Office,
    Terminal,
    TerminalKey,
    User,
    UserSession,
)
from agent_api.persistence.unit_of_work import read_only


@dataclass(frozen=True)
class StoredRecord:
    """A sequence number already claimed, with the response it got."""

    request_digest: str
    keyid: str
    response_status: int
    response_body: str


@dataclass(frozen=True)
class SessionRow:
    """An operator session and its user, as stored."""

    jti: str
    terminal_keyid: str | None
    issued_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    user_id: int
    username: str
    role: str
    user_status: str
    office_id: int | None
    network_id: int | None  # the user's own, or their office's network


@dataclass(frozen=True)
class GateRow:
    keyid: str
    key_status: str
    public_key: str
    terminal_id: int
    terminal_status: str
    office_id: int
    office_code: str
    office_status: str
    network_id: int
    network_code: str
    network_status: str
    stored: StoredRecord | None
    session: SessionRow | None


_k = TerminalKey.__table__  # type: ignore[attr-defined]
_t = Terminal.__table__  # type: ignore[attr-defined]
_o = Office.__table__  # type: ignore[attr-defined]
_n = Network.__table__  # type: ignore[attr-defined]
_i = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_s = UserSession.__table__  # type: ignore[attr-defined]
_u = User.__table__  # type: ignore[attr-defined]
_uo = _o.alias("user_office")

# Compiled once per dialect, run on the driver's cursor (``persistence.fast``).
_GATE_SELECT = (
    select(
        _k.c.keyid,
        _k.c.status.label("key_status"),
        _k.c.public_key,
        _t.c.id.label("terminal_id"),
        _t.c.status.label("terminal_status"),
        _o.c.id.label("office_id"),
        _o.c.code.label("office_code"),
        _o.c.status.label("office_status"),
        _n.c.id.label("network_id"),
        _n.c.code.label("network_code"),
        _n.c.status.label("network_status"),
        _i.c.id.label("record_id"),
        _i.c.request_digest,
        _i.c.keyid.label("record_keyid"),
        _i.c.response_status,
        _i.c.response_body,
        _s.c.id.label("session_id"),
        _s.c.jti,
        _s.c.terminal_keyid,
        _s.c.issued_at,
        _s.c.expires_at,
        _s.c.ended_at,
        _u.c.id.label("user_id"),
        _u.c.username,
        _u.c.role,
        _u.c.status.label("user_status"),
        _u.c.office_id.label("user_office_id"),
        _u.c.network_id.label("user_network_id"),
        _uo.c.network_id.label("user_office_network_id"),
    )
    .select_from(
        _k.join(_t, _t.c.id == _k.c.terminal_id)
        .join(_o, _o.c.id == _t.c.office_id)
        .join(_n, _n.c.id == _o.c.network_id)
        .outerjoin(_i, and_(_i.c.terminal_id == _t.c.id, _i.c.key == bindparam("sequence")))
        .outerjoin(_s, _s.c.jti == bindparam("jti"))
        .outerjoin(_u, _u.c.id == _s.c.user_id)
        .outerjoin(_uo, _uo.c.id == _u.c.office_id)
    )
    .where(_k.c.keyid == bindparam("keyid"))
)
_GATE = Fast(_GATE_SELECT)


def read_gate(
    engine: Engine, keyid: str, *, sequence: int | None, jti: str | None
) -> GateRow | None:
    """The key ``keyid`` with its terminal, office and network; the record of ``sequence``
    on that terminal; the session ``jti``. None when no terminal ever registered the key."""
    with read_only(engine) as connection:
        m = _GATE.mapping(connection, {"keyid": keyid, "sequence": sequence, "jti": jti})
    if m is None:
        return None
    stored = (
        StoredRecord(
            m["request_digest"], m["record_keyid"], m["response_status"], m["response_body"]
        )
        if m["record_id"] is not None
        else None
    )
    session = (
        SessionRow(
            jti=m["jti"],
            terminal_keyid=m["terminal_keyid"],
            issued_at=m["issued_at"],
            expires_at=m["expires_at"],
            ended_at=m["ended_at"],
            user_id=m["user_id"],
            username=m["username"],
            role=m["role"],
            user_status=m["user_status"],
            office_id=m["user_office_id"],
            network_id=m["user_office_network_id"]
            if m["user_office_id"] is not None
            else m["user_network_id"],
        )
        if m["session_id"] is not None and m["user_id"] is not None
        else None
    )
    return GateRow(
        keyid=m["keyid"],
        key_status=m["key_status"],
        public_key=m["public_key"],
        terminal_id=m["terminal_id"],
        terminal_status=m["terminal_status"],
        office_id=m["office_id"],
        office_code=m["office_code"],
        office_status=m["office_status"],
        network_id=m["network_id"],
        network_code=m["network_code"],
        network_status=m["network_status"],
        stored=stored,
        session=session,
    )
