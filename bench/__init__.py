"""Reproducible benchmarks: `python -m bench.inbox_ingest`, `python -m bench.fanout`.

Each starts everything it needs on loopback (database, node, simulated peers), prints readable
figures, and ends with one JSON line holding them.
"""
