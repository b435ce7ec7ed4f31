"""Qurb's agent API: the signed-transaction service the proximity offices' terminals talk to.

Kept import-free on purpose: the terminal client imports ``agent_api.protocol`` and must not
drag the server (Starlette, SQLModel) in with it.
"""
