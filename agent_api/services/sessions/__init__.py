"""Who is calling: back-office sessions (``auth``, ``passwords``, ``sign_in_throttle``,
``tokens``), terminals as signers (``terminal_auth``, ``request_gate``) and the security
events they leave (``security_events``).

Depends on ``log`` only.
"""
