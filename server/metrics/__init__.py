"""Prometheus metrics of a node: HTTP traffic, queues, circuits, pool, live-stream clients."""
