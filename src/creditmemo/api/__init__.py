"""The REST API under /v1 (FastAPI): thin routes over the services."""
