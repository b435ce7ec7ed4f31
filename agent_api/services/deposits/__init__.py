"""AMO reimbursement files deposited at the counter: the deposit and its signed slip, and its
same-day cancellation (``deposits``); the transmittal slips that send them to CNSS
(``transmittals``).

Depends on ``log`` (the manifest names its leaf), ``sessions`` (the terminal), ``writes``
(the pipeline and the receipt signer), ``registry`` (the tariff cache) and ``accounts`` (the
account store and business days).
"""
