"""The one settings class: every knob is a `BBWS_*` environment variable (or a CLI flag that sets one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bbws.core import patterns

DEFAULT_SECRET = "change-me"


class SettingsError(ValueError):
    """A `BBWS_*` value its rule refuses; the message is one line naming each variable and its rule."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BBWS_", extra="ignore")

    mode: Literal["local", "aws"] = "local"
    environment: Literal["dev", "sit", "prod"] = "dev"
    data_dir: Path = Path.home() / ".bbws"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None

    store: Literal["sqlite", "dynamodb"] = "sqlite"
    dynamodb_table: str = "bbws"
    aws_region: str = "af-south-1"
    aws_endpoint_url: str | None = None

    # Long work: the job queue (SQLite in the data dir, or SQS with its DLQ) and the in-process worker.
    queue: Literal["sqlite", "sqs"] = "sqlite"
    sqs_queue_url: str | None = None
    sqs_dlq_url: str | None = None
    run_worker: bool = True
    # A claimed job is the worker's for `job_lease_seconds`; a live worker renews the lease (and its heartbeat
    # record) every `job_heartbeat_seconds`, so a dead worker's jobs come back within a lease, or at once when
    # a worker sees the holder's process gone. See docs/api/operations-and-dlq.md.
    job_lease_seconds: float = Field(default=30.0, ge=1)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0)
    # A worker loop that neither polls nor reports a step for this long is stuck: its job is handed back and a
    # fresh loop takes over. Longer than the longest single runtime step (a dump or an import: 600 s at most).
    worker_stall_seconds: float = Field(default=900.0, gt=0)
    # EventBridge bus the relay publishes domain events to (none locally; `bbws-events-{environment}` on AWS).
    event_bus: str | None = None

    # Identity: the built-in issuer locally; a Cognito user pool (its issuer URL and JWKS) on AWS.
    issuer: str = "urn:bbws:local"
    audience: str = "bbws-api"
    jwks_url: str | None = None
    token_ttl_seconds: int = 3600

    # Signs pagination cursors. Locally a random one is kept in the data dir when this is the default.
    cursor_secret: str = DEFAULT_SECRET

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    rate_limit_token_per_second: float = Field(default=50.0, gt=0)
    rate_limit_token_burst: int = Field(default=100, ge=1)
    rate_limit_tenant_per_second: float = Field(default=100.0, gt=0)
    rate_limit_tenant_burst: int = Field(default=200, ge=1)
    # Failed authentications (401) per client address: a bucket that only failures spend; past it, 429.
    rate_limit_auth_failures_per_second: float = Field(default=1.0, gt=0)
    rate_limit_auth_failures_burst: int = Field(default=30, ge=1)
    # Open server-sent event streams at once, per token and per tenant (counted in each API process).
    sse_streams_per_token: int = Field(default=10, ge=1)
    sse_streams_per_tenant: int = Field(default=50, ge=1)
    idempotency_ttl_seconds: int = 86_400
    invitation_ttl_days: int = Field(default=7, ge=1, le=30)
    audit_retention_days: int = Field(default=400, ge=1)
    # Webhook URLs resolving to loopback or private addresses are refused (SSRF) unless this is set (tests, local use).
    webhooks_allow_loopback: bool = False
    log_level: str = "INFO"

    # Instances: which runtime driver runs WordPress. `local`: a private MariaDB and PHP workers on this machine;
    # `gitops`: Terraform committed to `gitops_repo`, with ECS events settling the state.
    runtime: Literal["local", "gitops"] = "local"
    instance_ports: str = Field(default="20000-29999", pattern=r"^\d{2,5}-\d{2,5}$")  # one loopback port each
    mariadb_port: int | None = Field(default=None, ge=1024, le=65535)  # the private MariaDB; None: a free port
    wordpress_source: Path = Path("/usr/share/wordpress")  # Debian's `wordpress` package
    # With a domain, sites also answer by host name (`{path}.{environment}.{tenant}.{domain}`) besides their path.
    instance_domain: str | None = None
    gitops_repo: Path | None = None  # a git work tree; the driver commits `tenants/{env}/{tenantId}/main.tf` there
    gitops_push: bool = False  # push each commit to the work tree's upstream
    aws_account_id: str = Field(default="000000000000", pattern=r"^\d{12}$")

    # Sites: files kept outside the table (backups, template and plugin archives) go to a local folder
    # (`data_dir/artifacts`) or to an S3 bucket (`artifact_bucket`, keys under `artifact_prefix`).
    artifact_store: Literal["local", "s3"] = "local"
    artifact_bucket: str | None = None
    artifact_prefix: str = ""
    backup_retention: int = Field(default=10, ge=1, le=1000)  # backups kept per site (oldest removed first)
    health_lookback_hours: float = Field(default=24.0, gt=0)  # SIT -> PROD needs the source healthy this long
    health_interval_seconds: int = Field(default=900, ge=10)  # how often the periodic health job checks each site
    plugin_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # largest plugin or theme zip accepted
    # Plugin and theme slugs refused platform-wide (PLUG_002), besides those blocklisted in the catalog.
    plugin_blocklist: str = ""

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Settings:
        if self.job_heartbeat_seconds >= self.job_lease_seconds:
            raise ValueError("BBWS_JOB_HEARTBEAT_SECONDS must be shorter than BBWS_JOB_LEASE_SECONDS")
        if self.worker_stall_seconds <= self.job_heartbeat_seconds:
            # the watchdog looks once per heartbeat: a shorter stall could never be seen in time
            raise ValueError("BBWS_WORKER_STALL_SECONDS must be longer than BBWS_JOB_HEARTBEAT_SECONDS")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_local(self) -> Settings:
        if self.mode == "aws":
            if self.cursor_secret == DEFAULT_SECRET or len(self.cursor_secret) < 32:
                raise ValueError("BBWS_CURSOR_SECRET must be set to a random value of 32+ characters in aws mode")
            if not self.jwks_url:
                raise ValueError("BBWS_JWKS_URL (the Cognito user pool's JWKS) is required in aws mode")
            if self.store != "dynamodb":
                raise ValueError("aws mode keeps its data in DynamoDB: set BBWS_STORE=dynamodb")
            if self.event_bus is None:
                self.event_bus = f"bbws-events-{self.environment}"
        return self

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The settings from the environment (`overrides`: CLI flags); a refused value raises SettingsError."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise SettingsError("; ".join(_refusal(error) for error in exc.errors())) from None

    @property
    def port_range(self) -> range:
        low, high = (int(x) for x in self.instance_ports.split("-"))
        return range(low, high + 1)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "bbws.sqlite3"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def _refusal(error: Any) -> str:
    """`BBWS_HEALTH_LOOKBACK_HOURS=0: must be greater than 0`, from one pydantic error."""
    rule = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch" and patterns.describe(error["ctx"]["pattern"]):
        rule = f"must be {patterns.describe(error['ctx']['pattern'])}"
    for said in ("Input should ", "String should ", "Value should "):
        if rule.startswith(said):
            rule = "must " + rule.removeprefix(said)
    if not error["loc"]:  # a rule across settings names its variables itself
        return rule
    name = "BBWS_" + str(error["loc"][0]).upper()
    shown = "***" if "secret" in name.lower() else str(error["input"])
    return f"{name}={shown}: {rule}"
