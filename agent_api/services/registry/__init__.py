"""The registry the back office manages: networks and offices (``registry``), terminals,
users, the tariff, and the demo registry (``demo``); ``views`` are the values they return.

Depends on ``log`` and ``sessions`` (password hashing).
"""
