"""Every Prometheus metric of the service, in one place, namespaced ``qurb_``.

Labels stay low-cardinality: route templates, never raw paths; error codes from the fixed
list, never messages. With several uvicorn workers, ``PROMETHEUS_MULTIPROC_DIR`` is set by
``qurb-api serve`` before the workers start, and ``/metrics`` aggregates all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

HTTP_REQUESTS = Counter(
    "qurb_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "qurb_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REFUSALS = Counter(
    "qurb_refusals_total",
    "Requests refused, by stable error code.",
    ["code"],
)
SECURITY_EVENTS = Counter(
    "qurb_security_events_total",
    "Security events recorded for auditors, by kind.",
    ["kind"],
)
IDEMPOTENT_REPLAYS = Counter(
    "qurb_idempotent_replays_total",
    "Writes answered from the stored original response (a retried sequence number).",
)
LOGINS = Counter(
    "qurb_logins_total",
    "Sign-in attempts, by kind (admin, operator) and outcome.",
    ["kind", "outcome"],
)

# A witness is one of the few configured (QURB_WITNESSES), named by its key name: few labels.
WITNESS_SUBMISSIONS = Counter(
    "qurb_witness_submissions_total",
    "Checkpoints submitted to a witness, by witness name and outcome (cosigned, conflict, "
    "refused, unreachable, invalid_response, witness_ahead).",
    ["witness", "outcome"],
)
WITNESS_LATENCY = Histogram(
    "qurb_witness_submission_seconds",
    "Time for a witness to answer an add-checkpoint request, by witness name.",
    ["witness"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

AUDIT_INTEGRATE_DELAY = Histogram(
    "qurb_audit_integrate_delay_seconds",
    "From a leaf's recorded time to the commit of the batch that gave it its index.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0),
)
AUDIT_BATCH_SIZE = Histogram(
    "qurb_audit_sequence_batch_entries",
    "Entries the sequencer integrated per batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096),
)


def exposition() -> tuple[bytes, str]:
    """The metrics text of this process, or of every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
