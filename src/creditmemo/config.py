"""Settings from the environment (pydantic-settings). No I/O at import."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///creditmemo.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    max_body_bytes: int = 5_000_000
    secure_cookies: bool = False
    # How the API server's workers seal the audit trail (store/sealer.py): "background" (a thread in each
    # worker) or "off" (another process seals: `creditmemo serve` starts one and sets this).
    sealing: str = "background"


def normalize_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
