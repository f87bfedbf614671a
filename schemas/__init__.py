"""Pydantic models of the vocabulary (AS2 and our context) and of the REST API. No I/O."""
