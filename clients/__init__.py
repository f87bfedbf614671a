"""Everything that talks to a node from outside: client library and member commands."""
