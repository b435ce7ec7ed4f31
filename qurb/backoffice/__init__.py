"""The back office in a browser: server-rendered screens for finance, auditors, network and
CNSS administrators, served by the hub under ``/back-office/`` (docs/back-office.md).

A screen is a layer like ``agent_api.http``: a view parses the form, calls the same service the
JSON API calls with the signed-in actor, and renders one template. No rule lives here.
"""
