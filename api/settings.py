"""Configuration from the environment (``CREDITCARE_*``), one typed object."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A fixed key is acceptable only where nothing real is at stake; production refuses it.
DEVELOPMENT_SECRET_KEY = "creditcare-development-only-secret-key-do-not-use"
_REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PolicyStoreKind(StrEnum):
    FILE = "file"
    DATABASE = "database"


class Settings(BaseSettings):
    """Every setting of the service; each maps to the environment variable ``CREDITCARE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CREDITCARE_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///creditcare.db"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    policy_dir: Path = _REPO_ROOT / "policies"
    # "file": policies/ on disk (edit, then reload); "database": the casbin_rule table, kept in
    # step across instances by a watcher on Redis.
    policy_store: PolicyStoreKind = PolicyStoreKind.FILE
    redis_url: str = "redis://127.0.0.1:6379/0"
    policy_channel: str = "/creditcare/policy"
    policy_watch_interval_seconds: float = Field(default=5.0, gt=0)
    # Every worker checks its policy store this often (the files' content hash, or the stored
    # rules' digest) and reloads when it changed: a change reaches every worker and instance
    # within `policy_sync_bound_seconds`, and /readyz is 503 while an instance stays behind longer.
    policy_poll_interval_seconds: float = Field(default=2.0, gt=0, le=60)
    # Grading plugins: names of plugins not to load; which strategy wins an industry two claim
    # (JSON, e.g. {"G": "transport-logistics"}); how long one grading may take.
    disabled_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    grading_preferences: dict[str, str] = Field(default_factory=dict)
    grading_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    stale_financials_months: int = Field(default=15, ge=1, le=120)
    token_ttl_minutes: int = Field(default=8 * 60, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    # A document may select this many fields (fragments expanded) and use this many aliases.
    max_selections: int = Field(default=1_500, ge=10)
    max_aliases: int = Field(default=50, ge=0)
    # Connections each process keeps open to PostgreSQL: at least the requests a worker serves
    # at once, or it opens and closes connections under load.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    # Read operations the planner covers skip the per-field resolvers (schema/planned/); with
    # `planned_reads_verify` each is also run on the regular resolvers and must answer the same
    # (the test suite's setting: never in production, it doubles the work).
    planned_reads: bool = True
    planned_reads_verify: bool = False
    # In production a sampled share of the planned requests (0.001: one in a thousand; 0: none)
    # is answered again by the regular resolvers after its response has left; a difference is
    # counted (/metrics) and logged, never shown to the client. Off while `planned_reads_verify`
    # checks every request.
    planned_reads_shadow_rate: float = Field(default=0.001, ge=0, le=1)
    # GET /metrics (Prometheus), unauthenticated like /healthz: route it to the scraper only.
    metrics_enabled: bool = True
    log_level: str = "info"
    # A line per request costs CPU on every request; most deployments log at the proxy
    # (gunicorn's default too). Turn on to have uvicorn log each request.
    access_log: bool = False
    # Business dates (staleness, agreement validity, "not in the future") are the lender's.
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("disabled_plugins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # Accept `a,b` as well as a JSON list: people type the former.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _production_needs_a_real_key(self) -> Settings:
        if self.env is Environment.PRODUCTION and (
            self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "CREDITCARE_SECRET_KEY must be set to a secret of at least 32 characters in production"
            )
        return self

    @property
    def policy_sync_bound_seconds(self) -> float:
        """How long a policy change may take to reach every worker and instance: one polling
        interval plus a second to read and check the policy (about 0.15 s with the shipped one)."""
        return self.policy_poll_interval_seconds + 1.0

    @property
    def async_database_url(self) -> str:
        """The URL with the async driver this service uses (aiosqlite / asyncpg)."""
        return to_async_url(self.database_url)


def to_async_url(url: str) -> str:
    """Map a plain ``sqlite://`` or ``postgresql://`` URL to its asyncio driver."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
