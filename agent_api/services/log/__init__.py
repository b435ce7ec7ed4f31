"""The audit log: appending leaves (``leaf_writes``, ``audit_log``), reading it as auditors do
(``transparency``: checkpoints, tiles, proofs) and its witnesses (``witnessing``).

Depends on no other services package: every other one appends to it.
"""
