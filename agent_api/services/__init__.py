"""Use cases. Each opens a unit of work, applies the domain rules, and commits.

One package per domain, each depending only on those above it in this list:

- ``log``: the audit log — appending leaves, checkpoints, tiles, proofs, witnesses.
- ``sessions``: sign-in, tokens, passwords, terminals as signers, security events.
- ``writes``: the signed-write pipeline, idempotency, receipts and checking one.
- ``registry``: networks, offices, terminals, users, the tariff, the demo registry.
- ``workers``: enrolment, reading and amending workers, the CIN vault, liaison lists.
- ``accounts``: quotes, collections, reversals, rights, declarations, business days.

``container`` builds every service of a running app from its settings. A new kind of signed
write puts its use case in its domain's package and registers a ``WriteKind``
(``writes.signed_writes``). Queries belong in ``agent_api.persistence``, pure rules in
``agent_api.domain``.
"""
