"""The operator's terminal client (``qurb-terminal``).

It imports only the shared protocol package (``agent_api.protocol``) and httpx: never the
server, never SQLModel. The layering test in ``tests/unit/test_layering.py`` holds this.
"""
