"""The audit log as C2SP tlog-tiles, under the prefix ``/v1/audit``:

- ``GET /v1/audit/checkpoint``: the latest signed checkpoint (``audit.py`` serves it), public;
- ``GET /v1/audit/tile/<L>/<N>[.p/<W>]``: a tile of the Merkle tree, 256 hashes of 32 bytes
  (``.p/<W>``: the first ``W`` of a tile the tree has not filled yet), public: hashes only;
- ``GET /v1/audit/tile/entries/<N>[.p/<W>]``: the leaves ``N·256 …`` as an entry bundle, each
  leaf's bytes after its length (big-endian uint16), to an auditor's admin token only, as
  ``/v1/audit/leaves``: the leaves name terminals, amounts and business days, a network's
  business data.

``<N>`` is written in three-digit groups, all but the last after an ``x`` (1234067 is
``x001/x234/067``). Only what the latest checkpoint signs is served (404 beyond it); a path
the spec would not write is refused naming the field (422). A full tile or bundle never
changes: it is cacheable for a year. A partial one is a prefix of what it becomes, but the
spec lets a log drop it once full, so clients keep it a minute. A tile is ``public`` (any
cache may keep it); an entry bundle ``private`` (the auditor's own client only, never a
shared cache). Entry bundles (JSON leaves) are gzipped for a client that accepts it, as the
spec recommends; hashes do not compress.
"""

from __future__ import annotations

import gzip

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.errors import NotFound, ValidationFailed
from agent_api.http.audit import AUDITORS
from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.schemas.common import NUL_PROBLEM, has_nul
from agent_api.protocol.tiles import TilePath, parse_tile_path

TAGS = ("audit",)
OCTETS = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=60"
# An entry bundle was read with a token: no shared cache may keep it for the next caller.
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"
PRIVATE_PARTIAL = "private, max-age=60"


def _parse(value: object, field: str, *, entries: bool) -> TilePath:
    text = str(value)
    if has_nul(text):
        raise ValidationFailed(f"{field}: {NUL_PROBLEM}", field=field)
    try:
        parsed = parse_tile_path(f"entries/{text}" if entries else text)
    except ValueError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=field) from None
    if parsed.level is None and not entries:
        raise ValidationFailed(f"{field}: the level is a decimal number", field=field)
    return parsed


def _served(
    data: bytes | None,
    wanted: TilePath,
    field: str,
    what: str,
    *,
    gzipped: bool = False,
    private: bool = False,
) -> Response:
    if data is None:
        raise NotFound(f"the latest checkpoint's tree has no {what} {field} as wide", field=field)
    if private:
        cache = PRIVATE_PARTIAL if wanted.partial else PRIVATE_IMMUTABLE
    else:
        cache = PARTIAL if wanted.partial else IMMUTABLE
    headers = {"Cache-Control": cache}
    if gzipped:
        data = gzip.compress(data, compresslevel=6, mtime=0)
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return Response(data, media_type=OCTETS, headers=headers)


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip (RFC 9110 §12.5.3: not with q=0)."""
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower().removeprefix("q=").strip()
            return not q or q.rstrip("0").rstrip(".") not in ("", "0")
    return False


async def tile(call: Call) -> Response:
    wanted = _parse(call.path("tile"), "tile", entries=False)
    assert wanted.level is not None
    data = await run_in_threadpool(
        call.services.audit.tile, wanted.level, wanted.index, wanted.width
    )
    return _served(data, wanted, "tile", "such")


async def entries(call: Call) -> Response:
    wanted = _parse(call.path("bundle"), "bundle", entries=True)
    data = await run_in_threadpool(call.services.audit.entry_bundle, wanted.index, wanted.width)
    gzipped = accepts_gzip(call.request.headers.get("accept-encoding", ""))
    return _served(data, wanted, "bundle", "entry", gzipped=gzipped, private=True)


ENDPOINTS: list[Endpoint] = [
    # Before the tiles: ``entries/…`` would otherwise match their path. Read by those who
    # read ``/v1/audit/leaves`` (the same leaves), with the same token: the auditor alone.
    Endpoint(
        "GET",
        "/v1/audit/tile/entries/{bundle:path}",
        entries,
        "An entry bundle of the log (C2SP tlog-tiles): <N>[.p/<W>]; the auditor's alone",
        "admin",
        AUDITORS,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        "/v1/audit/tile/{tile:path}",
        tile,
        "A tile of the log's Merkle tree (C2SP tlog-tiles): <L>/<N>[.p/<W>]",
        "public",
        tags=TAGS,
    ),
]
