"""Service configuration, read from environment variables.

Every setting has a default that works on a laptop: a SQLite file and the local sandbox of both
APIs. Invalid values fail at start with a message naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from upsales_fortnox.integrations.fortnox import facts as fortnox_facts

SANDBOX_HOST = "127.0.0.1"
SANDBOX_FORTNOX_PORT = 8091
SANDBOX_UPSALES_PORT = 8092


LONGEST_DURATION_SECONDS = 366 * 24 * 3600.0
"""The longest wait, interval or patience a setting may give: a year. Longer is a unit mixed
up, and one past what a date can hold stopped the service mid-start."""

_LONGEST_OF = {"job_lease_seconds": 24 * 3600.0}
"""Shorter ceilings. A lease: a worker's session on PostgreSQL ends 1.25 leases after its host
went silent, a server setting of at most 24.8 days (heartbeats renew leases, so a long job never
needs a long one)."""

_UNITS_SECONDS = {"_seconds": 1.0, "_minutes": 60.0, "_hours": 3600.0, "_days": 86400.0}


def duration_unit_seconds(name: str) -> float | None:
    """The seconds of the unit a duration setting's name ends in; None: not a duration."""
    return next((s for suffix, s in _UNITS_SECONDS.items() if name.endswith(suffix)), None)


def longest_seconds(name: str) -> float:
    """The longest the duration setting ``name`` may be, in seconds."""
    return _LONGEST_OF.get(name, LONGEST_DURATION_SECONDS)


class ConfigError(Exception):
    """The environment holds an invalid setting; the message names the variable."""


class Settings(BaseSettings):
    # Every number finite: an endless lease, wait or patience is never meant, and stops a worker.
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, allow_inf_nan=False
    )

    database_url: str = Field(
        default="sqlite:///./data/upsales-fortnox.sqlite3",
        description="SQLAlchemy URL; sqlite:///path or postgresql://user@host/db.",
    )
    fortnox_api_base_url: str = f"http://{SANDBOX_HOST}:{SANDBOX_FORTNOX_PORT}/3"
    fortnox_auth_base_url: str = f"http://{SANDBOX_HOST}:{SANDBOX_FORTNOX_PORT}/oauth-v1"
    fortnox_ws_url: str = f"ws://{SANDBOX_HOST}:{SANDBOX_FORTNOX_PORT}/topics-v1"
    upsales_api_base_url: str = f"http://{SANDBOX_HOST}:{SANDBOX_UPSALES_PORT}/api/v2"
    fortnox_client_id: str = "sandbox-client-id"
    fortnox_client_secret: SecretStr = SecretStr("sandbox-client-secret")
    secret_key: SecretStr = Field(
        default=SecretStr("insecure-local-secret-key-change-me"),  # refused off loopback
        description="Encrypts tokens and secrets at rest; at least 16 characters.",
    )
    admin_token: SecretStr = Field(
        default=SecretStr("local-admin-token"),
        description="Bearer token of the operator API; at least 12 characters.",
    )
    public_base_url: str = "http://127.0.0.1:8080"
    upsales_return_url: str = "https://power.upsales.com/"
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    fortnox_rate_limit: int = Field(default=25, ge=1)
    fortnox_rate_window_seconds: float = Field(default=5.0, gt=0)
    upsales_rate_limit: int = Field(default=200, ge=1)
    upsales_rate_window_seconds: float = Field(default=10.0, gt=0)
    fortnox_create_settle_seconds: float = Field(
        default=fortnox_facts.CREATE_MAY_LAND_WITHIN_SECONDS,
        ge=0,
        description="How long a retried won deal that Fortnox has no document for waits, and "
        "searches once more, before creating one (an earlier create may still land).",
    )
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1)
    job_backoff_base_seconds: float = Field(default=2.0, gt=0)
    job_backoff_max_seconds: float = Field(default=900.0, gt=0)
    job_outage_patience_hours: float = Field(
        default=24.0,
        ge=0,
        description="How long a job whose attempts are used up keeps trying while Fortnox or "
        "Upsales is out of reach or away (no answer, 502-504, a rate limit), at most every "
        "job_backoff_max_seconds, before it is dead. 0: it is dead when its attempts are used.",
    )
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    worker_concurrency: int = Field(
        default=32,
        ge=1,
        description="Installations a worker serves at once. An installation waiting for its "
        "Fortnox budget keeps its place, so a few busy ones must not fill them all; the work "
        "itself is bounded by worker_jobs_at_once.",
    )
    worker_jobs_per_installation: int = Field(
        default=4,
        ge=1,
        description="Jobs of one installation a worker runs at once, where their kinds allow "
        "(won deals of different orders): a busy installation's deals reach Fortnox at its rate "
        "limit though each API call takes its time. 1: one at a time.",
    )
    worker_jobs_at_once: int = Field(
        default=16,
        ge=1,
        description="Jobs a worker has at work at once across its installations (a job waiting "
        "for an API's answer or for its place in a rate budget does not count); when more wait, "
        "the installations with the most work waiting go first.",
    )
    webhook_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    webhook_max_in_flight: int = Field(
        default=64, ge=1, description="Webhook requests handled at once; more get 503 at once."
    )
    webhook_database_wait_seconds: float = Field(
        default=10.0, gt=0, description="How long a webhook waits for the database before 503."
    )
    webhook_body_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a webhook's body may take to arrive; later, 408 request_timeout.",
    )
    reconcile_interval_minutes: float = Field(
        default=15.0, gt=0, description="How often Fortnox changes are reconciled per installation."
    )
    upsales_reconcile_interval_minutes: float = Field(
        default=2.0,
        gt=0,
        description="How often Upsales changes that no hook brought in are caught up.",
    )
    metrics_enabled: bool = Field(
        default=True, description="Count what the service does and serve it at /metrics."
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port alone, without the operator token; unset: "
        "on the API's port, behind the operator token.",
    )
    metrics_host: str = "127.0.0.1"
    fortnox_consent_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret (X-Webhook-Secret) of the service-account consent webhook; "
        "unset: the webhook is off.",
    )
    alert_webhook_url: str | None = Field(
        default=None, description="Where alerts are POSTed as JSON; unset: no alerts are sent."
    )
    alert_webhook_format: Literal["json", "slack"] = "json"
    alert_queue_age_seconds: float = Field(default=900.0, gt=0)
    alert_refresh_token_days: float = Field(default=7.0, gt=0)
    alert_check_interval_seconds: float = Field(default=60.0, gt=0)

    @field_validator("*")
    @classmethod
    def _duration_at_most_its_longest(cls, value: object, info: ValidationInfo) -> object:
        """Each ``*_seconds``, ``*_minutes``, ``*_hours`` and ``*_days`` setting, by its unit."""
        name = info.field_name or ""
        unit = duration_unit_seconds(name)
        if unit is None or not isinstance(value, int | float) or isinstance(value, bool):
            return value
        longest = longest_seconds(name)
        if value * unit > longest:
            raise ValueError(f"must be at most {longest / unit:.10g}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_any_case(cls, value: object) -> object:
        """``debug`` is ``DEBUG``: operators write a log level either way."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _secret_key_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 12:
            raise ValueError("must be at least 12 characters")
        return value

    @field_validator(
        "fortnox_api_base_url",
        "fortnox_auth_base_url",
        "upsales_api_base_url",
        "public_base_url",
        "alert_webhook_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _checked_url(value, ("http", "https"))

    @field_validator("fortnox_ws_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        checked = _checked_url(value, ("ws", "wss"))
        assert checked is not None
        return checked

    @field_validator("fortnox_consent_webhook_secret")
    @classmethod
    def _consent_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters, as installations' webhook secrets")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_supported(cls, value: str) -> str:
        scheme = value.split(":", 1)[0]
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value


def _checked_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    """``value`` when it is a URL with one of ``schemes`` and a host; the refusal names neither
    the value nor its parts (an alert webhook's URL is a credential)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"must be a {wanted} URL with a host")
    return value


_DEVELOPMENT_SECRETS = {
    "SECRET_KEY": "insecure-local-secret-key-change-me",
    "ADMIN_TOKEN": "local-admin-token",
}


def development_secrets_in_use(settings: Settings) -> list[str]:
    """The secret variables still at their public development default."""
    current = {
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "ADMIN_TOKEN": settings.admin_token.get_secret_value(),
    }
    return [name for name, default in _DEVELOPMENT_SECRETS.items() if current[name] == default]


_SANDBOX_CLIENT = {
    "FORTNOX_CLIENT_ID": "sandbox-client-id",
    "FORTNOX_CLIENT_SECRET": "sandbox-client-secret",
}


def _points_at_this_machine(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    unspecified = {"0.0.0.0", "::", ""}  # noqa: S104 (compared with, never bound)
    return is_loopback(host) or host in unspecified


def sandbox_settings_in_use(settings: Settings) -> list[str]:
    """The variables that still point at the local sandboxes or this machine: API URLs on
    loopback, the sandbox OAuth client, a ``PUBLIC_BASE_URL`` Fortnox and Upsales cannot reach."""
    urls = {
        "FORTNOX_API_BASE_URL": settings.fortnox_api_base_url,
        "FORTNOX_AUTH_BASE_URL": settings.fortnox_auth_base_url,
        "FORTNOX_WS_URL": settings.fortnox_ws_url,
        "UPSALES_API_BASE_URL": settings.upsales_api_base_url,
        "PUBLIC_BASE_URL": settings.public_base_url,
    }
    local = [name for name, url in urls.items() if _points_at_this_machine(url)]
    client = _fortnox_client(settings).items()
    return local + [name for name, value in client if value == _SANDBOX_CLIENT[name]]


def _fortnox_client(settings: Settings) -> dict[str, str]:
    return {
        "FORTNOX_CLIENT_ID": settings.fortnox_client_id,
        "FORTNOX_CLIENT_SECRET": settings.fortnox_client_secret.get_secret_value(),
    }


def require_fortnox_client(settings: Settings) -> Settings:
    """``settings``, when the Fortnox app's client is given; :class:`ConfigError` naming each
    blank variable otherwise. Only what calls Fortnox needs it (the service, the worker, the
    commands that reach Fortnox): ``migrate`` and the database-only tools run without."""
    blank = [name for name, value in _fortnox_client(settings).items() if not value.strip()]
    if blank:
        problem = "must not be empty: the Fortnox app's client, as registered"
        raise ConfigError("invalid configuration: " + "; ".join(f"{n}: {problem}" for n in blank))
    return settings


def is_loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{variable}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The service's settings: read, and the Fortnox client required."""
    return require_fortnox_client(load_settings())
