"""One settings object for every service, read from environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


class Settings(BaseSettings):
    """Endpoints and knobs shared by all services.

    Every field maps to an upper-case environment variable of the same name
    (`DATABASE_URL`, `KAFKA_BOOTSTRAP_SERVERS`, ...); `REOS_`-prefixed names are
    project knobs.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "postgresql+psycopg://reos:reos@127.0.0.1:15432/reos", alias="DATABASE_URL"
    )
    kafka_bootstrap_servers: str = Field("127.0.0.1:19092", alias="KAFKA_BOOTSTRAP_SERVERS")
    s3_endpoint_url: str | None = Field("http://127.0.0.1:19000", alias="S3_ENDPOINT_URL")
    s3_bucket: str = Field("reos", alias="S3_BUCKET")
    s3_region: str = Field("us-east-1", alias="S3_REGION")
    s3_access_key_id: str = Field("reos", alias="S3_ACCESS_KEY_ID")
    s3_secret_access_key: str = Field("reos-secret-key", alias="S3_SECRET_ACCESS_KEY")

    data_dir: Path = Field(REPO_ROOT.parent / "shared" / "data", alias="REOS_DATA_DIR")
    log_level: str = Field("INFO", alias="REOS_LOG_LEVEL")
    http_host: str = Field("127.0.0.1", alias="REOS_HTTP_HOST")
    http_port: int | None = Field(None, alias="REOS_HTTP_PORT")

    consumer_group_prefix: str = Field("reos", alias="REOS_CONSUMER_GROUP_PREFIX")
    consumer_workers: int = Field(3, ge=1, le=32, alias="REOS_CONSUMER_WORKERS")
    retry_attempts: int = Field(3, ge=1, alias="REOS_RETRY_ATTEMPTS")
    retry_backoff_seconds: float = Field(0.5, ge=0, alias="REOS_RETRY_BACKOFF_SECONDS")
    retry_backoff_max_seconds: float = Field(10.0, ge=0, alias="REOS_RETRY_BACKOFF_MAX_SECONDS")
    startup_wait_seconds: float = Field(0.0, ge=0, alias="REOS_STARTUP_WAIT_SECONDS")
    cors_origins: list[str] = Field(default_factory=list, alias="REOS_CORS_ORIGINS")
    db_pool_size: int = Field(5, ge=1, alias="REOS_DB_POOL_SIZE")

    # The enricher's Census clients: off unless enabled; the base URLs are the real APIs'.
    census_geocoder_enabled: bool = Field(False, alias="REOS_CENSUS_GEOCODER_ENABLED")
    census_geocoder_url: str = Field(
        "https://geocoding.geo.census.gov/geocoder", alias="REOS_CENSUS_GEOCODER_URL"
    )
    census_geocoder_benchmark: str = Field("Public_AR_Current", alias="REOS_CENSUS_BENCHMARK")
    census_geocoder_vintage: str = Field("Current_Current", alias="REOS_CENSUS_VINTAGE")
    census_acs_enabled: bool = Field(False, alias="REOS_CENSUS_ACS_ENABLED")
    census_acs_url: str = Field("https://api.census.gov/data", alias="REOS_CENSUS_ACS_URL")
    census_acs_year: int = Field(2022, ge=2009, alias="REOS_CENSUS_ACS_YEAR")
    census_api_key: str | None = Field(None, alias="REOS_CENSUS_API_KEY")
    census_timeout_seconds: float = Field(5.0, gt=0, alias="REOS_CENSUS_TIMEOUT_SECONDS")
    census_batch_timeout_seconds: float = Field(
        60.0, gt=0, alias="REOS_CENSUS_BATCH_TIMEOUT_SECONDS"
    )
    census_retries: int = Field(2, ge=0, alias="REOS_CENSUS_RETRIES")
    census_breaker_failures: int = Field(5, ge=1, alias="REOS_CENSUS_BREAKER_FAILURES")
    census_breaker_reset_seconds: float = Field(
        30.0, ge=0, alias="REOS_CENSUS_BREAKER_RESET_SECONDS"
    )
    census_cache_ttl_seconds: float = Field(
        30 * 86_400.0,
        gt=0,
        alias="REOS_CENSUS_CACHE_TTL_SECONDS",
        description="how long a geocoder match or ACS figure is reused before it is asked again",
    )
    census_cache_entries: int = Field(
        200_000, ge=1, alias="REOS_CENSUS_CACHE_ENTRIES", description="answers kept in memory"
    )
    api_key_secret: SecretStr = Field(
        SecretStr("reos-development-api-key-secret"),
        alias="REOS_API_KEY_SECRET",
        description="server secret the gateway's API keys are hashed with (HMAC-SHA256)",
    )
    anonymous_reads: bool = Field(
        False,
        alias="REOS_ANONYMOUS_READS",
        description="let the gateway's read endpoints answer without an API key",
    )
    max_request_bytes: int = Field(
        1_000_000, ge=1024, alias="REOS_MAX_REQUEST_BYTES", description="largest request body"
    )
    gateway_workers: int = Field(
        default_factory=available_cores,
        ge=1,
        le=64,
        alias="REOS_GATEWAY_WORKERS",
        description="processes serving the gateway's HTTP port (default: one per core)",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
