"""The one settings class (DESIGN §3): everything configurable, read from the environment."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Values that look like a secret but are someone's example: production refuses them.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "placeholder", "xxx", "todo"}
)
MIN_SECRET_LENGTH = 32
# Reflex's default ports in dev: the frontend (Vite) and the backend.
DEV_PORTS = (3000, 8000)
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECETE_", extra="ignore", populate_by_name=True)

    env: Literal["dev", "prod"] = "dev"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    # Earlier root secrets, newest first, kept so values encrypted with them still decrypt
    # until `recete keys rotate` re-encrypts everything with the current key.
    # Comma-separated.
    previous_secret_keys: SecretStr = SecretStr("")
    public_url: str = "http://localhost:3000"
    # The address `recete run` has the backend listen on; unset: 127.0.0.1 in dev (this
    # machine only), 0.0.0.0 in prod (behind a proxy or in a container).
    bind_host: str | None = None
    data_dir: Path = PROJECT_ROOT / "data"
    # The non-owner role the application runs as so that row-level security binds it.
    db_app_role: str = "recete_app"
    # Connections each process keeps (and as many more opened per use past them). Unset: 5, or
    # a worker's threads + its 2 loops if more (db.reserve_connections).
    db_pool_size: int | None = None

    llm_provider: Literal["local", "openai"] = "local"
    llm_model: str = "gpt-4o-mini"
    embedding_provider: Literal["local", "openai"] = "local"
    embedding_model: str = "text-embedding-3-small"
    # The vector size the openai provider stores; an HNSW index exists for 512 (local) and 1536.
    embedding_dimensions: int = 1536
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")

    whatsapp_graph_url: str = "https://graph.facebook.com/v23.0"
    whatsapp_messages_per_second: int = 80
    shopify_api_key: str | None = None
    shopify_api_secret: SecretStr | None = None

    sentry_dsn: str | None = Field(default=None, validation_alias="SENTRY_DSN")
    sentry_release: str | None = Field(default=None, validation_alias="SENTRY_RELEASE")
    # The share of requests and queue messages traced (0: errors only).
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # `recete worker` serves /metrics on this port (a web process serves it on its own port).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"  # where the worker's /metrics listens: keep it private
    # The work-state metrics per merchant (a `merchant` label, its id): for a few stores only.
    metrics_merchant_label: bool = False
    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"

    session_ttl_hours: int = 24 * 7
    # Strict-Transport-Security (sent in production) also binds every subdomain of the
    # dashboard's host to https: only when all of them serve it.
    hsts_include_subdomains: bool = False
    # The longest an API key may live; a key created without an expiry gets this one.
    api_key_max_expiry_days: int = Field(default=365, ge=1)
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 50 * 1_048_576
    # Webhook requests in flight per process before new ones get a fast 503 (stores retry).
    webhook_max_inflight: int = 64
    rate_limit_ip_per_minute: int = 100
    # Customer exports per store: each decrypts and gathers a whole history.
    rate_limit_exports_per_hour: int = 30
    # A customer's export with more rows than this (messages, orders and scheduled messages
    # together) is made by a worker and downloaded when ready, not inside the request.
    export_inline_max_rows: int = Field(default=2000, ge=0)
    rate_limit_api_key_per_hour: int = 1000
    rate_limit_merchant_per_hour: int = 5000
    # Login attempts per 15 minutes (API and dashboard alike) for one email from one client
    # address, and for one email from all addresses together: a guesser elsewhere spends only
    # the second, wider budget, so cannot lock the owner out with a few wrong passwords.
    rate_limit_login_per_email: int = 10
    rate_limit_login_per_email_any_address: int = 100
    worker_threads: int = 2

    # Scraping product pages: seconds between requests to one host, days before a scraped
    # product is read again, and networks exempt from the private-address refusal (CIDRs,
    # comma-separated; for a local test shop only - never needed in production).
    scrape_politeness_seconds: float = 1.0
    rescrape_after_days: int = 7
    scrape_allowed_networks: str = ""

    @model_validator(mode="after")
    def _defaults_by_env(self) -> Settings:
        if self.log_format is None:
            self.log_format = "json" if self.env == "prod" else "console"
        return self

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_pgdata(self) -> Path:
        return self.data_dir / "pg"

    def root_secret(self) -> str:
        """The root secret; in dev one is generated once into the data folder."""
        value = self.secret_key.get_secret_value() if self.secret_key else ""
        if _usable_secret(value):
            return value
        if self.env == "prod":
            raise ConfigurationError(
                "RECETE_SECRET_KEY is missing or a placeholder. Production refuses to start "
                f"without a real root secret (at least {MIN_SECRET_LENGTH} random characters), "
                'e.g. RECETE_SECRET_KEY="$(python -c '
                "'import secrets; print(secrets.token_urlsafe(48))')\""
            )
        return _dev_secret(self.data_dir)

    def backend_bind_host(self) -> str:
        if self.bind_host:
            return self.bind_host
        return "127.0.0.1" if self.env == "dev" else "0.0.0.0"  # noqa: S104  (prod: on purpose)

    def allowed_origins(self, dev_ports: Iterable[int] = DEV_PORTS) -> tuple[str, ...]:
        """Browser origins allowed to call the API and open the dashboard's socket (CORS): the
        public URL's, and in dev the local dashboard's (`dev_ports`: frontend, backend). Never
        "*" or "null": with credentials allowed, either lets any web page act for the user."""
        origins = [origin_of(self.public_url)]
        if self.env == "dev":
            origins += [f"http://{host}:{port}" for port in dev_ports for host in LOCAL_HOSTS]
        return tuple(dict.fromkeys(origins))

    @property
    def secure_cookies(self) -> bool:
        """Cookies are `Secure` (sent over https only) in prod or behind an https public URL."""
        return self.env == "prod" or urlsplit(self.public_url.strip()).scheme.lower() == "https"

    def production_server(self) -> bool:
        """Production: RECETE_ENV=prod, an https public URL, or Reflex serving its production
        build (`recete run --prod`, i.e. `reflex run --env prod`). Reflex sets REFLEX_ENV_MODE
        after it has read rxconfig.py, and so these settings: it is read here, when asked."""
        return self.secure_cookies or os.environ.get("REFLEX_ENV_MODE") == "prod"

    def previous_secrets(self) -> list[str]:
        raw = self.previous_secret_keys.get_secret_value()
        return [part.strip() for part in raw.split(",") if part.strip()]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """The origin a browser sends for pages under `url`: scheme://host[:port], lower-cased,
    without the default port."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port == -1:
        raise ConfigurationError(
            f"RECETE_PUBLIC_URL must be the http(s) address the dashboard is opened at, "
            f"e.g. https://recete.example.com (got {url!r})."
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown_port}"


def _usable_secret(value: str) -> bool:
    return len(value) >= MIN_SECRET_LENGTH and value.strip().lower() not in PLACEHOLDER_SECRETS


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    log.warning(
        "RECETE_SECRET_KEY is not set: generated a development secret into %s. "
        "Set RECETE_SECRET_KEY before running in production.",
        path,
    )
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def validate_for_startup(settings: Settings) -> None:
    """Fail fast with a clear message on configuration that cannot work."""
    settings.root_secret()
