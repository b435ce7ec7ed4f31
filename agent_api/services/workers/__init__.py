"""Workers: enrolment, reading and amending (``enrollment``, ``workers``, ``worker_views``,
``worker_reads``), the CIN vault (``identity``) and the liaison bodies' lists (``liaison``).

Depends on ``log``, ``sessions`` and ``writes``.
"""
