"""Background loops: inbox processing and outbound delivery, each claiming rows with a lease."""
