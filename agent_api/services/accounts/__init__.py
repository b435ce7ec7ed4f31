"""Worker accounts at the counter: quotes, collections, reversals, rights (``accounts``, over
``account_store``), fishing-day declarations, business days and the office's day.

Depends on ``log``, ``sessions``, ``writes``, ``workers`` and ``registry`` (the tariff
cache).
"""
