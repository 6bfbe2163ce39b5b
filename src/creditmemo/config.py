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
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDRs, comma-separated).
    # Behind a proxy every request comes from the proxy's address: without this, the sign-in limit of 20
    # failures per address would lock everyone out at once. Empty: the headers are ignored (anyone can forge them).
    trusted_proxies: str = ""

    def trusted_proxy_list(self) -> list[str]:
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]


def normalize_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
