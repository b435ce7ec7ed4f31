"""``qurb-audit``: export the audit log and verify it offline, with public keys alone.

  export          write a range of the log (leaves, checkpoints, terminal key history) to a
                  file, from a database copy (--database-url) or the service (--url, --token)
  verify          verify an export: the tree, every checkpoint, every leaf, every signature
                  that can be re-verified, sequences, times and settlements
  verify-receipt  a receipt's signature against the published receipt keys (JWKS)
  verify-proof    a receipt's offline proof: its signature, its leaf, the leaf's inclusion
                  and the checkpoint's signature
  consistency     that a newer checkpoint extends an older one an auditor kept
  witness         run an independent witness that cosigns the log's checkpoints
  export-tiles, verify-tiles, verify-receipt-tiles, consistency-tiles
                  the same from the log's C2SP tlog-tiles alone (--url, --token for entries)
                  or exported (--dir): see auditor/tiles_cli.py

The log key is given with --key (the ``vkey`` published at GET /v1/audit/key, obtained and
kept by the auditor). Findings print one per line; the exit code is 0 when clean, 1 with
findings, 2 when the input itself is unusable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
from sqlalchemy.exc import SQLAlchemyError

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import open_checkpoint
from agent_api.protocol.cosignature import CosignerKey, require_quorum
from agent_api.protocol.errors import ProtocolError
from auditor import export, tiles_cli, witness_cli
from auditor.arguments import receipt_claims, receipt_text, verifiers
from auditor.verify import verify


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (OSError, ValueError, ProtocolError, httpx.HTTPError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qurb-audit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    out = sub.add_parser("export", help="write a range of the log to a file")
    source = out.add_mutually_exclusive_group(required=True)
    source.add_argument("--database-url", help="a copy of the service's database")
    source.add_argument("--url", help="the service, e.g. https://qurb.example")
    out.add_argument("--token", help="an auditor's back-office token (with --url)")
    out.add_argument("--start", type=int, default=0)
    out.add_argument("--end", type=int)
    out.add_argument("--output", type=Path, required=True)
    out.set_defaults(run=_export)
    check = sub.add_parser("verify", help="verify an export offline")
    check.add_argument("export", type=Path)
    check.add_argument("--key", action="append", required=True, help="a trusted log vkey")
    check.add_argument("--jwks", type=Path, help="GET /v1/keys, saved: also verify receipts")
    check.add_argument(
        "--witness", action="append", default=[], help="a trusted witness vkey (repeatable)"
    )
    check.add_argument(
        "--quorum", type=int, help="cosignatures the newest checkpoint needs (default 1)"
    )
    check.set_defaults(run=_verify)
    receipt = sub.add_parser("verify-receipt", help="verify a receipt's signature")
    receipt.add_argument("receipt", help="the compact JWS, or @FILE")
    receipt.add_argument("--jwks", type=Path, required=True, help="GET /v1/keys, saved")
    receipt.set_defaults(run=_verify_receipt)
    proof = sub.add_parser("verify-proof", help="verify a receipt's offline proof")
    proof.add_argument("proof", type=Path, help="GET /v1/audit/receipts/{number}/proof, saved")
    proof.add_argument("--jwks", type=Path, required=True)
    proof.add_argument("--key", action="append", required=True, help="a trusted log vkey")
    proof.add_argument("--witness", action="append", default=[], help="a trusted witness vkey")
    proof.add_argument("--quorum", type=int, help="cosignatures the checkpoint needs")
    proof.set_defaults(run=_verify_proof)
    consistency = sub.add_parser("consistency", help="a newer checkpoint extends an older one")
    consistency.add_argument("old", type=Path, help="a checkpoint note kept earlier")
    consistency.add_argument("new", type=Path, help="a later checkpoint note")
    consistency.add_argument("--key", action="append", required=True)
    proof_source = consistency.add_mutually_exclusive_group(required=True)
    proof_source.add_argument("--export", type=Path, help="an export holding both sizes")
    proof_source.add_argument("--url", help="ask the service for the proof")
    consistency.add_argument("--token", help="an auditor's token (with --url)")
    consistency.set_defaults(run=_consistency)
    witness_cli.register(sub)
    tiles_cli.register(sub)
    return parser


def _export(args: argparse.Namespace) -> int:
    if args.database_url:
        document = export.from_database(args.database_url, start=args.start, end=args.end)
    else:
        if not args.token:
            print("error: --url needs --token (an auditor's back-office token)", file=sys.stderr)
            return 2
        document = export.from_service(args.url, args.token, start=args.start, end=args.end)
    args.output.write_text(export.dump(document), encoding="utf-8")
    print(
        f"exported {len(document['leaves'])} leaves from {document['start']}, "
        f"{len(document['checkpoints'])} checkpoints, {len(document['terminal_keys'])} "
        f"terminal keys to {args.output}"
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    document = json.loads(args.export.read_text(encoding="utf-8"))
    if document.get("format") != export.EXPORT_FORMAT:
        raise ValueError(f"{args.export} is not a {export.EXPORT_FORMAT} export")
    jwks = json.loads(args.jwks.read_text(encoding="utf-8")) if args.jwks else None
    witnesses, quorum = _quorum(args)
    report = verify(document, verifiers(args.key), jwks, witnesses=witnesses, quorum=quorum)
    for finding in report.findings:
        print(finding)
    print(
        f"{report.leaves} leaves, {report.checkpoints} checkpoints, "
        f"{report.signatures_verified} signatures verified, {report.token_bound} "
        f"token-bound requests not re-verifiable offline, {report.settlements_checked} "
        f"settlements checked, {report.receipts_checked} receipts checked, "
        f"{report.deposits_checked} deposits checked: "
        f"{'clean' if report.clean else f'{len(report.findings)} findings'}"
    )
    if quorum and report.cosigned_by:
        print(f"the newest checkpoint is cosigned by {report.cosigned_by} trusted witnesses")
    return 0 if report.clean else 1


def _quorum(args: argparse.Namespace) -> tuple[list[CosignerKey], int]:
    """The trusted witnesses and how many must cosign (1 by default when any is given)."""
    witnesses = [CosignerKey.from_string(k) for k in args.witness]
    quorum = args.quorum if args.quorum is not None else (1 if witnesses else 0)
    if not 0 <= quorum <= len(witnesses) or (args.quorum is not None and not witnesses):
        raise ValueError("--quorum K needs at least K --witness keys, and K >= 1")
    return witnesses, quorum


def _verify_receipt(args: argparse.Namespace) -> int:
    token = receipt_text(args.receipt)
    try:
        claims = receipt_claims(token, args.jwks)
    except jwt.InvalidTokenError as exc:
        print(f"receipt: its signature does not verify ({exc})")
        return 1
    if isinstance(claims.get("log_entry"), str):
        by = claims.get("log_by")
        promised = datetime.fromtimestamp(by, UTC).isoformat() if isinstance(by, int) else "?"
        print(
            f"receipt {claims.get('receipt_number')}: signature valid; log entry "
            f"{claims['log_entry']}, promised in a checkpoint by {promised}"
        )
    else:
        print(
            f"receipt {claims.get('receipt_number')}: signature valid; "
            f"leaf {claims.get('log_index')}"
        )
    return 0


def _verify_proof(args: argparse.Namespace) -> int:
    bundle = json.loads(args.proof.read_text(encoding="utf-8"))
    findings = []
    try:
        claims = receipt_claims(bundle["receipt"], args.jwks)
    except jwt.InvalidTokenError as exc:
        claims = {}
        findings.append(f"receipt: its signature does not verify ({exc})")
    index = int(bundle["index"])
    leaf = json.loads(bundle["leaf"])
    number = claims.get("receipt_number")
    if claims and isinstance(claims.get("log_entry"), str):
        if leaf.get("entry") != claims["log_entry"]:
            findings.append(
                f"receipt: names entry {claims['log_entry']}, the proof leaf {leaf.get('entry')}"
            )
    elif claims and claims.get("log_index") != index:
        findings.append(f"receipt: names leaf {claims.get('log_index')}, the proof leaf {index}")
    decision = leaf.get("decision", leaf)
    if number is not None and decision.get("receipt") != number:
        findings.append(f"leaf {index}: records receipt {decision.get('receipt')}, not {number}")
    checkpoint = open_checkpoint(bundle["checkpoint"], verifiers(args.key))
    witnesses, quorum = _quorum(args)
    if quorum:
        try:
            require_quorum(bundle["checkpoint"], witnesses, quorum)
        except ProtocolError as exc:
            findings.append(f"checkpoint {checkpoint.size}: not witnessed: {exc.message}")
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(bundle["leaf"].encode()),
            index,
            checkpoint.size,
            [bytes.fromhex(h) for h in bundle["proof"]],
            checkpoint.root_hash,
        )
    except ProtocolError as exc:
        findings.append(f"leaf {index}: not in the checkpointed tree ({exc})")
    for finding in findings:
        print(finding)
    if not findings:
        print(
            f"receipt {number}: signature valid, leaf {index} included in the log of "
            f"{checkpoint.size} leaves signed by {checkpoint.origin}"
        )
    return 1 if findings else 0


def _consistency(args: argparse.Namespace) -> int:
    trusted = verifiers(args.key)
    old = open_checkpoint(args.old.read_text(encoding="utf-8"), trusted)
    new = open_checkpoint(args.new.read_text(encoding="utf-8"), trusted)
    if new.size < old.size:
        print(f"the newer checkpoint ({new.size}) is smaller than the older ({old.size})")
        return 1
    if args.export is not None:
        document = json.loads(args.export.read_text(encoding="utf-8"))
        hashes = [merkle.leaf_hash(str(leaf["data"]).encode()) for leaf in document["leaves"]]
        proof = merkle.consistency_proof(hashes[: new.size], old.size) if old.size else []
    else:
        headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        response = httpx.get(
            f"{args.url}/v1/audit/proofs/consistency?old={old.size}&new={new.size}",
            headers=headers,
            timeout=30,
        )
        response.raise_for_status()
        proof = [bytes.fromhex(h) for h in response.json()["proof"]]
    try:
        merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    except ProtocolError as exc:
        print(f"checkpoint {new.size} does not extend checkpoint {old.size} ({exc})")
        return 1
    print(f"checkpoint {new.size} extends checkpoint {old.size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
