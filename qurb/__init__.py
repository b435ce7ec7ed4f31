"""The composition root: the one package that knows both the agent API and reconciliation.

It builds the ASGI application that uvicorn serves, owns the Alembic migrations of the whole
schema, and provides the ``qurb-api`` command.
"""
