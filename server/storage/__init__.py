"""SQL, one module per aggregate.

Each function takes the connection, so the caller owns the transaction.
"""
