"""An independent C2SP tlog-witness: ``POST /add-checkpoint``.

A log sends the size of the checkpoint the witness last cosigned for it (``old N``), a
consistency proof from there, a blank line and its new signed checkpoint. The witness
cosigns (tlog-cosignature, Ed25519 cosignature/v1) only a checkpoint of a log it was told
about, signed by that log's key, that provably extends what it cosigned before; it stores
the new checkpoint (compare-and-swap) before it answers. The answers are the spec's:

- 400 a malformed request, or an old size above the checkpoint's;
- 404 a log (origin) the witness does not know;
- 403 no signature from the log's key verifies;
- 409 ``old`` is not the size the witness holds: the body is that size and a newline,
  ``Content-Type: text/x.tlog.size``; also 409 for another root at the size it holds;
- 422 the consistency proof does not verify (a fork, or a bad proof);
- 200 the cosignature line(s).

It never cosigns a checkpoint smaller than the one it holds or one that does not extend it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import Checkpoint, NoteVerifier, open_note, parse_checkpoint
from agent_api.protocol.cosignature import Cosigner, cosign
from agent_api.protocol.encoding import b64_decode
from agent_api.protocol.errors import EncodingError, NoteError, NoteMalformedError, ProofError
from auditor.witness_store import Held, WitnessStore

logger = logging.getLogger(__name__)

SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"
# tlog-witness: a client sends at most 63 proof lines (a proof in a tree of < 2^63 leaves).
MAX_PROOF_LINES = 63
# The old line, 63 proof lines, a checkpoint and its signatures fit well within this.
MAX_BODY_BYTES = 64 * 1024


class Refused(Exception):
    """An add-checkpoint request the witness answers with an error status."""

    def __init__(self, status: int, message: str, *, content_type: str = TEXT) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.content_type = content_type


@dataclass(frozen=True)
class Submission:
    old: int
    proof: list[bytes]
    note: str


def parse_submission(body: bytes) -> Submission:
    """Split an add-checkpoint body: ``old N``, proof lines, a blank line, the note."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise Refused(400, "the request has no blank line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old "):
        raise Refused(400, "the request starts with 'old <size>'")
    digits = first[4:]
    if not digits.isascii() or not digits.isdigit() or (len(digits) > 1 and digits[0] == "0"):
        raise Refused(400, "the old size is a decimal number without leading zeroes")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refused(400, f"at most {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            element = b64_decode(line)
        except EncodingError:
            raise Refused(400, "a consistency proof line is not base64") from None
        if len(element) != merkle.HASH_SIZE:
            raise Refused(400, "a consistency proof line is not a 32-byte hash")
        proof.append(element)
    return Submission(int(digits), proof, note)


class Witness:
    """The add-checkpoint rules, apart from HTTP: which logs, which key, which state."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Sequence[NoteVerifier]],
        store: WitnessStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cosigner = cosigner
        self._logs = {origin: list(keys) for origin, keys in logs.items()}
        self._store = store
        self._clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for a good submission; :class:`Refused` otherwise."""
        submission = parse_submission(body)
        checkpoint, text = self._open(submission.note)
        if submission.old > checkpoint.size:
            raise Refused(400, "the old size is larger than the checkpoint's")
        held = self._store.held(checkpoint.origin)
        held_size = held.size if held is not None else 0
        if submission.old != held_size:
            raise Refused(409, f"{held_size}\n", content_type=SIZE_CONTENT_TYPE)
        self._check_extends(held, checkpoint, submission, body)
        if not self._store.advance(
            checkpoint.origin, held, checkpoint.size, checkpoint.root_hash, submission.note
        ):
            # Another submission moved the log first: tell this one where it stands now.
            now = self._store.held(checkpoint.origin)
            raise Refused(409, f"{now.size if now else 0}\n", content_type=SIZE_CONTENT_TYPE)
        logger.info(
            "witness_cosigned", extra={"origin": checkpoint.origin, "size": checkpoint.size}
        )
        return cosign(text, self.cosigner, int(self._clock().timestamp()))

    def _open(self, note: str) -> tuple[Checkpoint, str]:
        try:
            checkpoint = parse_checkpoint(note[: note.rfind("\n\n") + 1])
        except NoteMalformedError as exc:
            raise Refused(400, f"the checkpoint is malformed ({exc.message})") from None
        keys = self._logs.get(checkpoint.origin)
        if keys is None:
            raise Refused(404, "this witness does not know that log")
        try:
            opened = open_note(note, keys)
        except NoteMalformedError as exc:
            raise Refused(400, f"the checkpoint is malformed ({exc.message})") from None
        except NoteError:
            raise Refused(403, "no signature by the log's key verifies") from None
        return parse_checkpoint(opened.text), opened.text

    def _check_extends(
        self, held: Held | None, checkpoint: Checkpoint, submission: Submission, body: bytes
    ) -> None:
        if held is None or held.size == 0:
            if submission.proof:
                raise Refused(422, "the proof from size 0 must be empty")
            return
        if checkpoint.size == held.size and checkpoint.root_hash != held.root_hash:
            self._store.record_refusal(checkpoint.origin, "another_root", body.decode())
            logger.warning("witness_fork_refused", extra={"origin": checkpoint.origin})
            raise Refused(409, "the log signed another root at the size this witness holds")
        try:
            merkle.verify_consistency(
                held.size, checkpoint.size, held.root_hash, checkpoint.root_hash, submission.proof
            )
        except ProofError:
            self._store.record_refusal(checkpoint.origin, "inconsistent", body.decode())
            logger.warning("witness_fork_refused", extra={"origin": checkpoint.origin})
            raise Refused(
                422, "the checkpoint does not extend the one this witness cosigned"
            ) from None


def create_witness_app(witness: Witness) -> Starlette:
    """The witness over HTTP: one route, ``POST /add-checkpoint``."""

    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return PlainTextResponse("the request is too large\n", 413, media_type=TEXT)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse("the request is too large\n", 413, media_type=TEXT)
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except Refused as refusal:
            text = refusal.message if refusal.message.endswith("\n") else refusal.message + "\n"
            # Exactly the spec's media type (Starlette would add a charset to text/*).
            headers = {"content-type": refusal.content_type}
            return Response(text, refusal.status, headers=headers)
        return Response(line, 200, media_type=TEXT)

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"])])
