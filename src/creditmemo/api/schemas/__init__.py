"""Pydantic request and response schemas per resource (money as decimal strings)."""
