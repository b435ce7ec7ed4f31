"""``qurb-audit witness``: run an independent C2SP tlog-witness for Qurb's audit log.

  witness init   --dir DIR --name NAME        a new witness: its key and its database;
                                              prints the witness's vkey (give it to the log)
  witness key    --dir DIR                    print the witness's vkey again
  witness serve  --dir DIR --log ORIGIN=VKEY  serve POST /add-checkpoint for those logs

The witness keeps its own key and state in DIR, on a machine Qurb does not run: the point of
a witness is that whoever holds it is not whoever runs the log (docs/witnesses.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import uvicorn

from agent_api.protocol.checkpoint import NoteVerifier
from auditor import witness_store
from auditor.witness import Witness, create_witness_app


def register(sub: Any) -> None:
    """Add the ``witness`` command to qurb-audit's subcommands."""
    witness = sub.add_parser("witness", help="run an independent witness of the log")
    commands = witness.add_subparsers(required=True, metavar="WITNESS_COMMAND")
    init = commands.add_parser("init", help="create a witness: key and database")
    init.add_argument("--dir", type=Path, required=True, help="the witness's own directory")
    init.add_argument("--name", required=True, help="its name, e.g. witness.ccomptes.ma/q1")
    init.set_defaults(run=_init)
    key = commands.add_parser("key", help="print the witness's vkey")
    key.add_argument("--dir", type=Path, required=True)
    key.set_defaults(run=_key)
    serve = commands.add_parser("serve", help="serve POST /add-checkpoint")
    serve.add_argument("--dir", type=Path, required=True)
    serve.add_argument(
        "--log",
        action="append",
        required=True,
        metavar="ORIGIN=VKEY",
        help="a log to witness: its origin and its key (GET /v1/audit/key); repeatable",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8090)
    serve.set_defaults(run=_serve)


def parse_logs(values: list[str]) -> dict[str, list[NoteVerifier]]:
    """``ORIGIN=VKEY`` pairs (an origin may have several keys) into trusted keys per log."""
    logs: dict[str, list[NoteVerifier]] = {}
    for value in values:
        origin, sep, vkey = value.partition("=")
        if not sep or not origin or not vkey:
            raise ValueError(f"--log {value!r}: expected ORIGIN=VKEY")
        logs.setdefault(origin, []).append(NoteVerifier.from_string(vkey.strip()))
    return logs


def _init(args: argparse.Namespace) -> int:
    try:
        cosigner = witness_store.init(args.dir, args.name)
    except witness_store.WitnessSetupError as exc:
        raise ValueError(str(exc)) from None
    sys.stdout.write(cosigner.key().to_string() + "\n")
    return 0


def _key(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(witness_store.load_key(args.dir).key().to_string() + "\n")
    except witness_store.WitnessSetupError as exc:
        raise ValueError(str(exc)) from None
    return 0


def build(directory: Path, logs: dict[str, list[NoteVerifier]]) -> Witness:
    try:
        return Witness(
            witness_store.load_key(directory), logs, witness_store.WitnessStore(directory)
        )
    except witness_store.WitnessSetupError as exc:
        raise ValueError(str(exc)) from None


def _serve(args: argparse.Namespace) -> int:
    witness = build(args.dir, parse_logs(args.log))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    vkey = witness.cosigner.key().to_string()
    sys.stdout.write(f"witness {vkey} on http://{args.host}:{args.port}\n")
    uvicorn.run(
        create_witness_app(witness),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )
    return 0
