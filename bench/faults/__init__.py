"""The fault suite: real node processes, fake followers, and the faults of issue 13.

`python -m bench.faults` runs every scenario at full size; `--scale ci` at the bounded size
tests/test_faults.py runs in CI. Each scenario prints one JSON line: sent, acknowledged,
delivered, missing, duplicated and recovery seconds, with its bound and whether it held.
"""
