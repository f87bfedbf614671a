"""SQL, one module per aggregate.

Each function takes the connection, so the caller owns the transaction.
"""


def next_version(column: str) -> str:
    """SQL for the new `updated` of one of our objects that changed: later than the one before,
    even for two changes in one transaction (now() is its start) or for one that waited on the
    row lock behind a transaction begun after it. Receivers keep the version with the latest
    `updated`, so it must never stand still or go back."""
    return f"greatest(clock_timestamp(), {column} + interval '1 microsecond')"
