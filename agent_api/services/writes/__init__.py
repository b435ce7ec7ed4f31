"""The signed-write pipeline every kind of write plugs into (``signed_writes``), its
exactly-once claim (``idempotency``), the receipts it answers with (``receipts``) and the
auditor's check of a receipt handed to them (``receipt_check``).

Depends on ``log`` and ``sessions``; the container only for typing.
"""
