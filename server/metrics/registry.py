"""The metrics one node exposes, in a registry of its own (several nodes may share a process in
tests; prometheus-client's global registry would mix them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Request durations of a small node: most under 50 ms, the inbox's signature checks a little more.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# How many hosts the per-host gauges name: the worst ones; the rest are summed under "other".
TOP_HOSTS = 20


@dataclass
class NodeMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.http_requests = Histogram(
            "maillage_http_request_duration_seconds",
            "Time to answer HTTP requests, per route and status class.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.inbox_requests = Counter(
            "maillage_inbox_requests",
            "Activities POSTed to our inboxes: accepted, or refused with the reason.",
            ["outcome"],
            registry=r,
        )
        self.inbox_pending = Gauge(
            "maillage_inbox_pending", "Received activities not processed yet.", registry=r
        )
        self.inbox_lag = Gauge(
            "maillage_inbox_lag_seconds",
            "Age of the oldest received activity not processed yet (0 when none).",
            registry=r,
        )
        self.deliveries_pending = Gauge(
            "maillage_deliveries_pending",
            f"Deliveries waiting, per host (the {TOP_HOSTS} with most, then 'other').",
            ["host"],
            registry=r,
        )
        self.deliveries_failed = Gauge(
            "maillage_deliveries_failed",
            "Deliveries given up over the kept history, per host (top hosts, then 'other').",
            ["host"],
            registry=r,
        )
        self.circuits_open = Gauge(
            "maillage_delivery_circuits_open",
            "Hosts whose deliveries are paused by the circuit breaker.",
            registry=r,
        )
        self.host_failure_streak = Gauge(
            "maillage_delivery_failure_streak",
            "Failures in a row of a host whose circuit is open or failing.",
            ["host"],
            registry=r,
        )
        self.pool_size = Gauge(
            "maillage_db_pool_connections", "Database connections of this process.", registry=r
        )
        self.pool_in_use = Gauge(
            "maillage_db_pool_in_use", "Database connections lent out now.", registry=r
        )
        self.stream_clients = Gauge(
            "maillage_stream_clients", "Live-stream (SSE) clients connected now.", registry=r
        )
