"""Alembic migrations of Qurb's whole schema (agent API and reconciliation)."""
