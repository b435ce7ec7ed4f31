"""Daily reconciliation: business-day close, settlement, CNSS ledger and bank-statement
matching, exceptions and reports. It reads the agent API's data; the agent API never imports
it (held by ``tests/unit/test_layering.py``)."""
