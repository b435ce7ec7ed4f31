"""``qurb-audit`` from tiles alone (C2SP tlog-tiles): the service's paths under
``/v1/audit/`` (``--url``) or an export directory with the same paths (``--dir``).

The checkpoint and the tiles are public; the entry bundles (the leaves) are an auditor's
alone, as ``/v1/audit/leaves``: ``export-tiles --url``, ``verify-tiles --url`` and
``verify-receipt-tiles --url`` need an auditor's back-office token, given with ``--token`` or
in the environment as ``QURB_AUDIT_TOKEN`` (kept out of the shell's history and of ``ps``);
it is sent to the service, never printed. ``consistency-tiles`` reads tiles only: no token.

  export-tiles          copy the log's checkpoint, tiles and entry bundles into a directory,
                        from the service (--url) or a database copy (--database-url)
  verify-tiles          the whole log: every entry hashed, every tile recomputed, the root
                        compared with the checkpoint signed by the log key
  verify-receipt-tiles  a receipt's signature, its leaf, and the leaf's inclusion in the
                        checkpointed tree, the proof computed from a few tiles
  consistency-tiles     that a newer checkpoint extends an older one, from a few tiles

Findings print one per line; the exit code is 0 when clean, 1 with findings, 2 when the input
itself is unusable (as the other commands).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import open_checkpoint
from agent_api.protocol.errors import ProtocolError
from auditor import export, tile_log
from auditor.arguments import receipt_claims, receipt_text, verifiers

AUDITOR_ENV = "QURB_AUDIT_TOKEN"


def register(sub: Any) -> None:
    """Add the tile commands to qurb-audit's subcommands."""
    out = sub.add_parser("export-tiles", help="copy the log's tiles into a directory")
    source = out.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="the service, e.g. https://qurb.example")
    source.add_argument("--database-url", help="a copy of the service's database")
    out.add_argument("--output", type=Path, required=True, help="the directory to write")
    _token(out)
    out.set_defaults(run=_export)

    whole = sub.add_parser("verify-tiles", help="verify the whole log from its tiles")
    _source(whole)
    _token(whole)
    whole.set_defaults(run=_verify_log)

    receipt = sub.add_parser("verify-receipt-tiles", help="a receipt's inclusion, from tiles")
    receipt.add_argument("receipt", help="the compact JWS, or @FILE")
    receipt.add_argument("--jwks", type=Path, required=True, help="GET /v1/keys, saved")
    _source(receipt)
    _token(receipt)
    receipt.set_defaults(run=_verify_receipt)

    extends = sub.add_parser("consistency-tiles", help="a checkpoint extends another, from tiles")
    extends.add_argument("old", type=Path, help="a checkpoint note kept earlier")
    extends.add_argument("new", type=Path, help="a later checkpoint note")
    _source(extends)
    extends.set_defaults(run=_consistency)


def _source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", action="append", required=True, help="a trusted log vkey")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the service: its tiles under /v1/audit/")
    where.add_argument("--dir", type=Path, help="a directory written by export-tiles")


def _token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help=f"an auditor's back-office token, for the entries (with --url; or ${AUDITOR_ENV})",
    )


def _auditor_token(args: argparse.Namespace) -> str | None:
    """The token given with ``--token``, else ``$QURB_AUDIT_TOKEN``; None without either."""
    return args.token or os.environ.get(AUDITOR_ENV) or None


def _say(line: str) -> None:
    """A command line prints its results, one line each."""
    sys.stdout.write(line + "\n")


def _export(args: argparse.Namespace) -> int:
    if args.url:
        size = export.tiles_from_service(args.url, args.output, _auditor_token(args))
    else:
        size = export.tiles_from_database(args.database_url, args.output)
    _say(f"exported the tiles of the log's {size} leaves to {args.output}")
    return 0


def _verify_log(args: argparse.Namespace) -> int:
    source = tile_log.source_of(args.url, args.dir, _auditor_token(args))
    try:
        report = tile_log.verify_log(source, verifiers(args.key))
    finally:
        source.close()
    for finding in report.findings:
        _say(finding)
    _say(f"{report.deposits} deposits checked (the slips' manifests are checked from an export)")
    _say(
        f"checkpoint of {report.size} leaves: {report.entries} entries and {report.tiles} "
        f"tiles recomputed: {'clean' if report.clean else f'{len(report.findings)} findings'}"
    )
    return 0 if report.clean else 1


def _verify_receipt(args: argparse.Namespace) -> int:
    token = receipt_text(args.receipt)
    try:
        claims = receipt_claims(token, args.jwks)
    except jwt.InvalidTokenError as exc:
        _say(f"receipt: its signature does not verify ({exc})")
        return 1
    number, index = claims.get("receipt_number"), claims.get("log_index")
    entry = claims.get("log_entry")
    if not isinstance(index, int) and not isinstance(entry, str):
        _say(f"receipt {number}: names no leaf of the log")
        return 1
    source = tile_log.source_of(args.url, args.dir, _auditor_token(args))
    try:
        _, checkpoint = tile_log.read_checkpoint(source, verifiers(args.key))
        if isinstance(entry, str):
            index = _entry_index(source, entry, checkpoint.size)
            if index is None:
                _say(_unmerged(number, entry, claims.get("log_by"), checkpoint.size))
                return 1
        assert isinstance(index, int)
        if not 0 <= index < checkpoint.size:
            _say(
                f"receipt {number}: leaf {index} is not in the checkpoint of "
                f"{checkpoint.size} leaves yet"
            )
            return 1
        leaf, proof = tile_log.inclusion(source, index, checkpoint.size)
    finally:
        source.close()
    findings = []
    if isinstance(claims.get("log_entry"), str):
        named = tile_log.entry_id(leaf)
        if named != claims["log_entry"]:
            findings.append(f"leaf {index}: names entry {named}, the receipt another")
    if tile_log.receipt_leaf(leaf) != number:
        findings.append(f"leaf {index}: records receipt {tile_log.receipt_leaf(leaf)}")
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(leaf), index, checkpoint.size, proof, checkpoint.root_hash
        )
    except ProtocolError as exc:
        findings.append(f"leaf {index}: not in the checkpointed tree ({exc})")
    for finding in findings:
        _say(finding)
    if not findings:
        _say(
            f"receipt {number}: signature valid, leaf {index} included in the log of "
            f"{checkpoint.size} leaves signed by {checkpoint.origin} (from tiles)"
        )
    return 1 if findings else 0


def _entry_index(source: tile_log.TileSource, entry: str, size: int) -> int | None:
    """Where the leaf naming ``entry`` is: the service says (its answer is then checked
    against the tiles and the leaf itself), an export is scanned."""
    if isinstance(source, tile_log.HttpSource):
        index = source.entry_index(entry)
        return index if index is not None and index < size else None
    return tile_log.find_entry(source, entry, size)


def _unmerged(number: Any, entry: str, by: Any, size: int) -> str:
    """A receipt whose entry is in no checkpoint yet: within its promise, or past it."""
    if isinstance(by, int) and by < int(datetime.now(UTC).timestamp()):
        promised = datetime.fromtimestamp(by, UTC).isoformat()
        return (
            f"receipt {number}: entry {entry} is not in the checkpoint of {size} leaves, "
            f"promised by {promised}: the log broke its promise"
        )
    return (
        f"receipt {number}: entry {entry} is not in the checkpoint of {size} leaves yet "
        "(within its promise: ask again later)"
    )


def _consistency(args: argparse.Namespace) -> int:
    trusted = verifiers(args.key)
    old = open_checkpoint(args.old.read_text(encoding="utf-8"), trusted)
    new = open_checkpoint(args.new.read_text(encoding="utf-8"), trusted)
    if new.size < old.size:
        _say(f"the newer checkpoint ({new.size}) is smaller than the older ({old.size})")
        return 1
    source = tile_log.source_of(args.url, args.dir)
    try:
        proof = tile_log.consistency(source, old.size, new.size) if old.size else []
    finally:
        source.close()
    try:
        merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    except ProtocolError as exc:
        _say(f"checkpoint {new.size} does not extend checkpoint {old.size} ({exc})")
        return 1
    _say(f"checkpoint {new.size} extends checkpoint {old.size} (from tiles)")
    return 0
