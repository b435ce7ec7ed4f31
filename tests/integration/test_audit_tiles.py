"""The audit log as C2SP tlog-tiles: every checkpoint integrates its leaves into tiles, once;
proofs come from a few tiles and are byte for byte those of the whole tree, around every tile
boundary; the tiles and entry bundles are served at the spec's paths, and nothing the latest
checkpoint does not sign; a log that predates the tiles gets them at its next checkpoint."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from agent_api.errors import Conflict, NotFound
from agent_api.persistence import audit_tiles
from agent_api.protocol import merkle, tiles
from agent_api.protocol.tiles import TileId
from agent_api.services.log import transparency
from tests.integration.conftest import World

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _hashes(engine: Engine) -> list[bytes]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT leaf_hash FROM audit_leaves ORDER BY leaf_index"))
        return [bytes.fromhex(h) for (h,) in rows]


def grow_log(engine: Engine, size: int) -> None:
    """Append filler leaves until the log holds ``size``: rows written in one statement, and
    the head's frontier moved as appending would move it (fast enough for 65,537 leaves)."""
    with engine.begin() as connection:
        head_size, frontier = connection.execute(
            text("SELECT size, frontier FROM audit_head WHERE id = 1")
        ).one()
        compact = merkle.CompactRange(
            head_size, [bytes.fromhex(h) for h in frontier.split()] if frontier else []
        )
        rows = []
        for index in range(head_size, size):
            data = json.dumps({"v": 1, "index": index, "kind": "filler", "at": AT.isoformat()})
            digest = merkle.leaf_hash(data.encode())
            compact.append(digest)
            rows.append({"i": index, "k": "filler", "d": data, "h": digest.hex(), "at": AT})
        if rows:
            connection.execute(
                text(
                    "INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)"
                    " VALUES (:i, :k, :d, :h, :at)"
                ),
                rows,
            )
        connection.execute(
            text("UPDATE audit_head SET size = :s, frontier = :f WHERE id = 1"),
            {"s": compact.size, "f": " ".join(h.hex() for h in compact.hashes)},
        )


def _tiled(engine: Engine) -> int:
    with engine.connect() as connection:
        return audit_tiles.tiled_size(connection)


def _stored_tiles(engine: Engine) -> dict[TileId, bytes]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT level, tile_index, width, hashes FROM audit_tiles"))
        stored = {}
        for level, index, width, hashes in rows:
            assert len(hashes) == width * 64
            stored[TileId(level, index)] = bytes.fromhex(hashes)
        return stored


def test_each_checkpoint_integrates_its_leaves_into_tiles_and_proofs_match_the_whole_tree(
    world: World,
) -> None:
    audit, engine = world.services.audit, world.services.engine
    # A checkpoint on each side of every tile boundary, so that tiles grow across them.
    for size in (255, 256, 257, 600, 65_535, 65_536, 65_537):
        grow_log(engine, size)
        assert audit.checkpoint().size == size
    hashes = _hashes(engine)
    assert len(hashes) == 65_537
    # Every stored tile is exactly what the spec defines for the tree signed last.
    assert _stored_tiles(engine) == tiles.grow(0, hashes, {})
    assert _tiled(engine) == 65_537
    for size in (1, 255, 256, 257, 65_535, 65_536, 65_537):
        for index in {0, size // 2, size - 1, max(0, size - 257)}:
            proof = audit.inclusion_proof(index, size)
            assert proof == [h.hex() for h in merkle.inclusion_proof(hashes[:size], index)]
        for old in {1, 255, 256, 257, size // 2 or 1, size}:
            if old <= size:
                proof = audit.consistency_proof(old, size)
                assert proof == [h.hex() for h in merkle.consistency_proof(hashes[:size], old)]


def test_a_proof_beyond_the_latest_checkpoint_is_refused_naming_the_field_and_the_size(
    world: World,
) -> None:
    audit, engine = world.services.audit, world.services.engine
    signed = audit.checkpoint().size
    grow_log(engine, signed + 10)  # appended, not yet signed
    with pytest.raises(NotFound) as refused:
        audit.inclusion_proof(0, signed + 1)
    assert refused.value.field == "size"
    assert f"holds {signed} leaves" in str(refused.value)
    with pytest.raises(NotFound) as refused:
        audit.consistency_proof(1, signed + 10)
    assert refused.value.field == "new"
    auditor = world.auth("cnss.auditor")
    answer = world.client.get(
        f"/v1/audit/proofs/inclusion?index=0&size={signed + 1}", headers=auditor
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "size"
    assert audit.inclusion_proof(0, signed) == [
        h.hex() for h in merkle.inclusion_proof(_hashes(engine)[:signed], 0)
    ]


def test_tiles_and_entry_bundles_are_served_at_the_spec_paths_and_nothing_unsigned(
    world: World,
) -> None:
    audit, engine = world.services.audit, world.services.engine
    grow_log(engine, 300)
    audit.checkpoint()
    grow_log(engine, 700)  # not signed: none of it is served
    hashes = _hashes(engine)
    client = world.client  # no credentials: the tree's hashes are public
    auditor = world.auth("cnss.auditor")  # the entries (the leaves) are the auditor's

    full = client.get("/v1/audit/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(hashes[:256])

    partial = client.get("/v1/audit/tile/0/001.p/44")
    assert partial.status_code == 200
    assert partial.content == b"".join(hashes[256:300])
    assert "immutable" not in partial.headers["cache-control"]
    # An older checkpoint's partial tile is a prefix of today's.
    assert client.get("/v1/audit/tile/0/001.p/3").content == b"".join(hashes[256:259])
    level_one = client.get("/v1/audit/tile/1/000.p/1")
    assert level_one.content == merkle.root(hashes[:256])

    bundle = client.get("/v1/audit/tile/entries/000", headers=auditor)
    assert bundle.status_code == 200
    # Read with a token: the auditor's own client may keep it, never a shared cache.
    assert bundle.headers["cache-control"] == "private, max-age=31536000, immutable"
    entries = tiles.decode_bundle(bundle.content)
    assert [merkle.leaf_hash(e) for e in entries] == hashes[:256]
    with engine.connect() as connection:
        first = connection.execute(text("SELECT data FROM audit_leaves WHERE leaf_index = 0"))
        assert entries[0] == first.scalar_one().encode()
    assert bundle.headers["content-encoding"] == "gzip"  # JSON leaves compress, as advised
    plain = client.get(
        "/v1/audit/tile/entries/000", headers={**auditor, "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.content == bundle.content
    partial_bundle = client.get("/v1/audit/tile/entries/001.p/44", headers=auditor)
    assert partial_bundle.headers["cache-control"] == "private, max-age=60"
    last = tiles.decode_bundle(partial_bundle.content)
    assert [merkle.leaf_hash(e) for e in last] == hashes[256:300]

    # Beyond the signed tree: 404, though the leaves and rows may exist.
    for beyond in (
        "/v1/audit/tile/0/001",
        "/v1/audit/tile/0/001.p/45",
        "/v1/audit/tile/0/002.p/1",
        "/v1/audit/tile/1/000",
        "/v1/audit/tile/2/000.p/1",
        "/v1/audit/tile/entries/001",
        "/v1/audit/tile/entries/001.p/45",
        "/v1/audit/tile/0/x001/000",
    ):
        answer = client.get(beyond, headers=auditor)
        assert answer.status_code == 404, beyond
        assert answer.json()["error"]["field"] in ("tile", "bundle")


def test_entry_bundles_are_the_auditors_alone_as_the_leaves_are_and_tiles_stay_public(
    world: World,
) -> None:
    """The entries are the leaves themselves (terminals, amounts, business days): read only
    with an auditor's token, as ``/v1/audit/leaves``; the tiles and checkpoint, hashes only,
    to anyone."""
    grow_log(world.services.engine, 300)
    world.services.audit.checkpoint()
    client = world.client
    bundle, leaves = "/v1/audit/tile/entries/000", "/v1/audit/leaves?start=0&end=2"
    for path in (bundle, leaves):
        anonymous = client.get(path)
        assert anonymous.status_code == 401, path
        assert "cache-control" not in anonymous.headers
        for user in ("cnss.admin", "cnss.finance", "admin.cashplus", "admin.wafacash"):
            refused = client.get(path, headers=world.auth(user))
            assert refused.status_code == 403, (path, user)
            assert refused.json()["error"]["code"] == "forbidden"
        assert client.get(path, headers=world.auth("cnss.auditor")).status_code == 200
    for public in ("/v1/audit/checkpoint", "/v1/audit/tile/0/000", "/v1/audit/tile/0/001.p/44"):
        assert client.get(public).status_code == 200, public
    assert client.get("/v1/audit/tile/0/000").headers["cache-control"].startswith("public")
    # The document says so: the bundle needs the admin token, a tile nothing.
    operations = client.get("/openapi.json").json()["paths"]
    assert operations["/v1/audit/tile/entries/{bundle}"]["get"]["security"]
    assert {"401", "403"} <= set(operations["/v1/audit/tile/entries/{bundle}"]["get"]["responses"])
    assert not operations["/v1/audit/tile/{tile}"]["get"].get("security")


def test_proofs_asked_before_the_tiles_are_built_answer_a_documented_409(world: World) -> None:
    """Between an upgrade (checkpoints signed before the tiles existed) and the next
    checkpoint, a proof is ``tiles_pending``: a 409 the OpenAPI document lists."""
    audit, engine = world.services.audit, world.services.engine
    grow_log(engine, 400)
    audit.checkpoint()
    with engine.begin() as connection:  # as a database migrated from before the tiles
        connection.execute(text("DELETE FROM audit_tiles"))
    auditor = world.auth("cnss.auditor")
    operations = world.client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/audit/proofs/inclusion?index=5&size=400",
        "/v1/audit/proofs/consistency?old=3&new=400",
    ):
        answer = world.client.get(path, headers=auditor)
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "tiles_pending"
        assert "409" in operations[path.partition("?")[0]]["get"]["responses"], path


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audit/tile/00/000",
        "/v1/audit/tile/64/000",
        "/v1/audit/tile/0/0",
        "/v1/audit/tile/0/000.p/0",
        "/v1/audit/tile/0/000.p/256",
        "/v1/audit/tile/0/000.p/007",
        "/v1/audit/tile/0/x000/001",
        "/v1/audit/tile/0/001/002",
        "/v1/audit/tile/0/x9999999/000",
        "/v1/audit/tile/0/000/",
        "/v1/audit/tile/data/000",
        "/v1/audit/tile/0/%00",
        "/v1/audit/tile/entries/0",
        "/v1/audit/tile/entries/000.p/",
        "/v1/audit/tile/entries/1/000",
        "/v1/audit/tile/0/x999/x999/x999/x999/x999/x999/999",
    ],
)
def test_a_path_the_spec_would_not_write_is_refused_naming_it(world: World, path: str) -> None:
    answer = world.client.get(path, headers=world.auth("cnss.auditor"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] in ("tile", "bundle")


def test_a_log_that_predates_the_tiles_gets_them_in_batches_at_its_next_checkpoint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit, engine = world.services.audit, world.services.engine
    for size in (400, 1_000):
        grow_log(engine, size)
        audit.checkpoint()
    with engine.begin() as connection:  # as a database migrated from before the tiles
        connection.execute(text("DELETE FROM audit_tiles"))
    grow_log(engine, 1_300)
    monkeypatch.setattr(transparency, "BACKFILL_BATCH", 128)
    with pytest.raises(Conflict) as pending:
        audit.inclusion_proof(5, 1_000)
    assert pending.value.code == "tiles_pending"
    assert audit.checkpoint().size == 1_300
    hashes = _hashes(engine)
    assert _stored_tiles(engine) == tiles.grow(0, hashes, {})
    assert audit.inclusion_proof(999, 1_300) == [
        h.hex() for h in merkle.inclusion_proof(hashes, 999)
    ]


def test_building_tiles_stops_at_a_leaf_altered_since_its_checkpoint_signed_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit, engine = world.services.audit, world.services.engine
    grow_log(engine, 600)
    audit.checkpoint()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_tiles"))
        forged = json.dumps({"v": 1, "index": 450, "kind": "filler", "forged": True})
        connection.execute(
            text("UPDATE audit_leaves SET data = :d, leaf_hash = :h WHERE leaf_index = 450"),
            {"d": forged, "h": merkle.leaf_hash(forged.encode()).hex()},
        )
    monkeypatch.setattr(transparency, "BACKFILL_BATCH", 256)
    with pytest.raises(Conflict) as refused:
        audit.checkpoint()
    assert refused.value.code == "log_inconsistent"
    # No tile was built: the leaves were checked against every checkpoint first.
    assert _tiled(engine) == 0


def test_two_integrations_of_the_same_leaves_never_both_commit(world: World) -> None:
    audit, engine = world.services.audit, world.services.engine
    start = audit.checkpoint().size
    grow_log(engine, start + 300)
    added = _hashes(engine)[start:]
    outcome: list[BaseException | None] = []
    first = engine.connect()
    first.begin()
    transparency.integrate(first, start, added)

    def rival() -> None:
        with engine.begin() as second:
            try:
                transparency.integrate(second, start, added)
                outcome.append(None)
            except Conflict as exc:
                outcome.append(exc)

    racer = threading.Thread(target=rival)
    racer.start()
    first.commit()
    first.close()
    racer.join()
    [lost] = outcome
    assert isinstance(lost, Conflict)
    assert lost.code == "tiles_moved"
    assert _tiled(engine) == start + 300


def test_tiles_built_ahead_of_the_checkpoints_are_kept_only_if_the_leaves_make_them(
    world: World,
) -> None:
    audit, engine = world.services.audit, world.services.engine
    grow_log(engine, 600)
    signed = audit.checkpoint()
    with engine.begin() as connection:  # as a seeded log whose checkpoints were removed
        connection.execute(text("DELETE FROM audit_checkpoints"))
    grow_log(engine, 900)
    again = audit.checkpoint()
    assert again.size == 900
    assert audit.checkpoint_at(900).root_hash == merkle.root(_hashes(engine)).hex()
    assert _stored_tiles(engine) == tiles.grow(0, _hashes(engine), {})
    assert signed.size == 600
    # Tiles that do not make the leaves' tree are never extended nor signed over.
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
        connection.execute(
            text("UPDATE audit_tiles SET hashes = :h WHERE level = 1 AND tile_index = 0"),
            {"h": "00" * 32 * 3},
        )
    with pytest.raises(Conflict) as refused:
        audit.checkpoint()
    assert refused.value.code == "log_inconsistent"
