"""Worker accounts at the counter: quotes, collections, reversals, rights (``accounts``, over
``account_store``), fishing-day declarations, business days and the office's day, and the
supervisor's approval of a same-day undoing (``same_day_approval``: a reversal here, a
deposit's cancellation in ``deposits``).

Depends on ``log``, ``sessions``, ``writes``, ``workers`` and ``registry`` (the tariff
cache).
"""
