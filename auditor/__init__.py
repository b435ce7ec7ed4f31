"""``qurb-audit``: the auditor's tool. It exports the audit log and verifies an export offline,
with public keys alone, using only the pure protocol package (RFC 6962 trees, C2SP signed
notes, RFC 9421 signatures): nothing of the service's own logic is trusted."""
