"""The public verification page: what a worker's phone opens when it scans a receipt's QR.

The QR is a link, ``HTTPS://<HOST>/V#QC1:…``: the compact receipt rides in the fragment,
which a browser never sends, so the hub does not even learn which receipt is looked at until
the page asks it about the log. The page (``page.py``, one template, one script) checks the
receipt in the browser itself — Base45, zlib, CBOR, COSE_Sign1 and Ed25519 through WebCrypto,
against the receipt keys embedded in the page — and shows what it proves; then it asks
``POST /v1/receipt-standing`` whether it is in the audit log (and, for a deposit slip, where
its file is now: at the office, sent, CNSS's latest word). No sign-in, nothing stored,
French by default and Arabic right to left, the same strict CSP as the back office.
"""
