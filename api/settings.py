"""Configuration from the environment (``CREDITCARE_*``), one typed object."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from api.reference.complaint_sla import SlaPolicy
    from api.reference.loan_classification import ClassificationRules

# A fixed key is acceptable only where nothing real is at stake; production refuses it.
DEVELOPMENT_SECRET_KEY = "creditcare-development-only-secret-key-do-not-use"
_REPO_ROOT = Path(__file__).resolve().parent.parent


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class PolicyStoreKind(StrEnum):
    FILE = "file"
    DATABASE = "database"


class PluginIsolation(StrEnum):
    PROCESS = "process"
    NONE = "none"


class RateLimitStorage(StrEnum):
    MEMORY = "memory"
    REDIS = "redis"


class Settings(BaseSettings):
    """Every setting of the service; each maps to the environment variable ``CREDITCARE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CREDITCARE_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///creditcare.db"
    # PostgreSQL runs with two roles (docs/database-roles.md): `creditcare migrate` connects as the
    # owner of the tables (this URL; default: database_url), the service as `app_role`, which every
    # migration run grants exactly the DML it needs (on the audit log only SELECT and INSERT).
    migration_database_url: str | None = None
    app_role: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
    secret_key: str = DEVELOPMENT_SECRET_KEY
    policy_dir: Path = _REPO_ROOT / "policies"
    # "file": policies/ on disk (edit, then reload); "database": the casbin_rule table, kept in
    # step across instances by a watcher on Redis.
    policy_store: PolicyStoreKind = PolicyStoreKind.FILE
    redis_url: str = "redis://127.0.0.1:6379/0"
    policy_channel: str = "/creditcare/policy"
    # Live events for subscriptions: within this process (`local`, one instance), or through Redis
    # pub/sub (`redis`, several instances), on channels under this prefix.
    live_broker: Literal["local", "redis"] = "local"
    live_channel_prefix: str = "/creditcare/live/"
    policy_watch_interval_seconds: float = Field(default=5.0, gt=0)
    # Every worker checks its policy store this often (the files' content hash, or the stored
    # rules' digest) and reloads when it changed: a change reaches every worker and instance
    # within `policy_sync_bound_seconds`, and /readyz is 503 while an instance stays behind longer.
    policy_poll_interval_seconds: float = Field(default=2.0, gt=0, le=60)
    # Grading plugins: names of plugins not to load; which strategy wins an industry two claim
    # (JSON, e.g. {"G": "transport-logistics"}); how long one grading may take.
    disabled_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Plugins loaded by import reference as if installed (`name=module` or `name=module:attribute`,
    # comma-separated): a plugin under development, or one vendored without packaging.
    extra_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    grading_preferences: dict[str, str] = Field(default_factory=dict)
    grading_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # Where plugins' code runs: in worker processes (`process`: a scrubbed environment, killed past
    # their deadline, a pool per plugin) or in the service's own process (`none`: debugging only).
    plugin_isolation: PluginIsolation = PluginIsolation.PROCESS
    plugin_workers: int = Field(default=2, ge=1, le=64)  # worker processes per plugin (and per service worker)
    plugin_hook_timeout_seconds: float = Field(default=5.0, gt=0, le=300)  # one event hook call
    stale_financials_months: int = Field(default=15, ge=1, le=120)
    # Early-warning thresholds over the rules' defaults, by rule id and parameter name (JSON, e.g.
    # {"REVENUE_DROP": {"max_drop_percent": "25"}}); `creditcare warnings rules` lists them.
    warning_parameters: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Enterprise size thresholds: a JSON rule file in the shipped format (api/reference/
    # size_rules_2011.json); unset: the shipped 2011 rules. Its version is kept with each size.
    size_rules_file: str | None = None
    # Complaint deadlines (R-Q1): the SLA policy new complaints are promised under, by id: a preset
    # (`cn_2020`, `us_cfpb`) or one of `complaint_sla_file` (JSON in the shipped presets' format,
    # api/reference/complaint_sla.json). `holiday_calendar` is a CSV `date,kind,name` (kind:
    # holiday or working) of the lender's days off and weekend days worked; unset: Monday to Friday.
    complaint_sla: str = "cn_2020"
    complaint_sla_file: str | None = None
    holiday_calendar: str | None = None
    # Five-category loan classification (issue 15): a JSON rule file in the shipped format
    # (api/reference/loan_classification.json); unset: the shipped 2023 rules.
    loan_classification_file: str | None = None
    token_ttl_minutes: int = Field(default=8 * 60, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    # Limits on a document, checked before validation and execution (schema/complexity.py); a
    # document over one is refused with QUERY_TOO_COMPLEX naming the limit. Tokens bound parsing;
    # the cost counts each field once per item the lists above it may hold (a connection's
    # first/last, else a full page; a plain list `list_cost_items`), so it bounds the work and the
    # size of the answer before any of it is done.
    max_tokens: int = Field(default=2_000, ge=100, le=20_000)
    max_depth: int = Field(default=15, ge=2)
    max_selections: int = Field(default=1_500, ge=10)
    max_aliases: int = Field(default=50, ge=0)
    max_directives: int = Field(default=5, ge=1)
    max_cost: int = Field(default=20_000, ge=100)
    list_cost_items: int = Field(default=10, ge=1)
    # Values in a request's variables (every key, item and scalar): strawberry turns each into
    # its input type at some 10 µs apiece, so a 3,000-term filter would cost seconds.
    max_variable_values: int = Field(default=2_000, ge=10)
    # Comparisons in one `where` (each operator of each field, through _and/_or/_not), literal
    # documents included: databases parse a long OR as a deep tree (SQLite stops at 1,000 levels).
    max_filter_terms: int = Field(default=200, ge=1, le=900)
    # Bounds while and after a request runs: its answer (serialised JSON), its run time.
    max_result_bytes: int = Field(default=5_000_000, ge=1_000)
    max_execution_seconds: float = Field(default=10.0, gt=0, le=600)
    # Requests one worker serves at once; the next gets a fast 503 with Retry-After (load
    # balancers retry elsewhere) instead of queueing behind them and stalling health checks.
    max_concurrent_requests: int = Field(default=64, ge=1)
    # Requests per principal (token subject), in the `limits` notation ("100/second",
    # "1000/minute"; empty: no limit); over it, 429 with Retry-After. Counted in this process, or
    # in Redis (`redis_url`) with `rate_limit_storage=redis`, so that instances share the count.
    rate_limit: str = "100/second"
    rate_limit_storage: RateLimitStorage = RateLimitStorage.MEMORY
    # Connections each process keeps open to PostgreSQL: at least the requests a worker serves
    # at once, or it opens and closes connections under load.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    # Faults (api/db/session.py DatabaseTimeouts, api/asgi/outage.py). PostgreSQL cancels a
    # statement running longer than `db_statement_timeout_seconds` (server-side statement_timeout);
    # `db_command_timeout_seconds` is asyncpg's client-side bound on a round trip, what ends a wait on
    # a server that no longer answers at all (keep it above the statement timeout, and below
    # `max_execution_seconds` so that a silent database is reported as such).
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=3600)
    db_command_timeout_seconds: float = Field(default=8.0, gt=0, le=3600)
    # Opening a connection; waiting for a pooled one when all are in use. With the database away
    # a request gets its 503 within about the larger of the two.
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # SQLite: how long a connection waits for another writer's lock before "database is locked".
    db_busy_timeout_seconds: float = Field(default=15.0, ge=0, le=300)
    # The database away: the 503's Retry-After, and one log line per kind of outage per interval.
    db_retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    outage_log_interval_seconds: float = Field(default=10.0, gt=0, le=3600)
    # /readyz gives up on the database (and the policy store) after this long: red, not hanging.
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # `creditcare serve` (uvicorn): on SIGTERM, requests in flight get this long to finish, then
    # they are cancelled and the process exits; an idle keep-alive connection is closed after
    # `keep_alive_timeout_seconds`; a connection must deliver a request's head (line and headers)
    # within `http_header_timeout_seconds` of opening (or of its first byte after a response), and
    # its body within `http_body_timeout_seconds` of the head (api/asgi/connections.py).
    shutdown_grace_seconds: int = Field(default=20, ge=0, le=3600)
    keep_alive_timeout_seconds: int = Field(default=5, ge=1, le=3600)
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
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
    # Browser origins whose pages may call the API (CORS): `https://app.example.com,http://localhost:5173`
    # or a JSON list. Empty (the default): no CORS headers at all, only same-origin pages and
    # non-browser clients. `*` alone allows every origin. Credentials (cookies, TLS client
    # certificates) are never allowed, with `*` or without: the API takes bearer tokens only, which
    # a page sends in the Authorization header.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        from limits import parse

        if value.strip():
            try:
                parse(value)
            except ValueError:
                raise ValueError(f"rate limit {value!r} is not of the form '100/second' or '1000 per minute'") from None
        return value.strip()

    @field_validator("extra_plugins")
    @classmethod
    def _plugin_references(cls, value: list[str]) -> list[str]:
        for entry in value:
            name, _, reference = entry.partition("=")
            if not name.strip() or not reference.strip():
                raise ValueError(f"{entry!r}: write name=module or name=module:attribute")
        return value

    @field_validator("disabled_plugins", "extra_plugins", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # Accept `a,b` as well as a JSON list: people type the former.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _browser_origins(cls, value: list[str]) -> list[str]:
        # A browser names its origin exactly `scheme://host[:port]`; an entry of any other form
        # would never match, and the front end would see only a CORS failure: refused here instead.
        if "*" in value:
            if len(value) > 1:
                raise ValueError("CREDITCARE_CORS_ORIGINS: '*' (every origin) must stand alone, not among origins")
            return value
        origins: list[str] = []
        for entry in value:
            parts = urlsplit(entry)
            try:
                port = parts.port
            except ValueError:
                port = -1
            default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
            if (
                default_port is None or not parts.hostname or "*" in entry or "@" in parts.netloc
                or parts.path or parts.query or parts.fragment or port in (-1, default_port)
            ):
                raise ValueError(
                    f"CREDITCARE_CORS_ORIGINS: {entry!r} is not an origin; write it as a browser sends it, "
                    "scheme://host[:port] with no path, no trailing slash and no default port "
                    "(e.g. 'https://app.example.com' or 'http://localhost:5173')"
                )
            # Browsers send the scheme and host in lower case.
            origins.append(entry.lower())
        return origins

    @model_validator(mode="after")
    def _complaint_deadlines_readable(self) -> Settings:
        """A bad SLA file, calendar or policy id stops the start with the reason, not the first intake."""
        self.sla_policies()
        return self

    @model_validator(mode="after")
    def _classification_rules_readable(self) -> Settings:
        """A bad classification rule file stops the start with the reason, not the first repayment."""
        self.classification_rules()
        return self

    def classification_rules(self) -> ClassificationRules:
        """The loan classification rules in force (parsed once per file)."""
        from api.reference.loan_classification import classification_rules

        return classification_rules(Path(self.loan_classification_file) if self.loan_classification_file else None)

    def sla_policies(self) -> dict[str, SlaPolicy]:
        """The complaint SLA policies by id, counting on the holiday calendar (read once per file set)."""
        from api.reference.complaint_sla import policies_of

        policies = policies_of(self.complaint_sla_file, self.holiday_calendar)
        if self.complaint_sla not in policies:
            raise ValueError(f"complaint_sla {self.complaint_sla!r} is none of the SLA policies: "
                             f"{', '.join(sorted(policies))}")
        return policies

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

    @property
    def migration_url(self) -> str:
        """The URL ``creditcare migrate`` connects to: the tables' owner's (docs/database-roles.md)."""
        return self.migration_database_url or self.database_url


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
