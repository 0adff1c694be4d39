"""The scraper's own knobs (environment variables), beside the shared `Settings`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.scraper.demo_market import DEFAULT_ID_PREFIX


class ScraperConfig(BaseSettings):
    """Where the sources are and how politely and how long to crawl them."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    demo_site_url: str = Field("http://127.0.0.1:9180/listings", alias="REOS_DEMO_SITE_URL")
    concurrent_crawls: int = Field(2, ge=1, le=16, alias="REOS_SCRAPER_CONCURRENT_CRAWLS")
    crawl_timeout_seconds: float = Field(1800.0, gt=0, alias="REOS_SCRAPER_CRAWL_TIMEOUT_SECONDS")
    robotstxt_obey: bool = Field(True, alias="REOS_SCRAPER_ROBOTSTXT_OBEY")
    autothrottle_enabled: bool = Field(False, alias="REOS_SCRAPER_AUTOTHROTTLE")
    autothrottle_target_concurrency: float = Field(
        2.0, gt=0, alias="REOS_SCRAPER_AUTOTHROTTLE_TARGET_CONCURRENCY"
    )
    download_delay_seconds: float = Field(0.0, ge=0, alias="REOS_SCRAPER_DOWNLOAD_DELAY_SECONDS")
    concurrent_requests: int = Field(32, ge=1, alias="REOS_SCRAPER_CONCURRENT_REQUESTS")
    concurrent_requests_per_domain: int = Field(
        32, ge=1, alias="REOS_SCRAPER_CONCURRENT_REQUESTS_PER_DOMAIN"
    )
    download_timeout_seconds: float = Field(30.0, gt=0, alias="REOS_SCRAPER_DOWNLOAD_TIMEOUT")
    retry_times: int = Field(2, ge=0, alias="REOS_SCRAPER_RETRY_TIMES")
    user_agent: str = Field("RealEstateOS-Scraper/0.1", alias="REOS_SCRAPER_USER_AGENT")
    crawl_log_level: str = Field("INFO", alias="REOS_SCRAPER_CRAWL_LOG_LEVEL")

    @property
    def max_poll_interval_ms(self) -> int:
        """A crawl runs inside the consumer's poll loop: allow it its timeout and a margin."""
        return int((self.crawl_timeout_seconds + 300) * 1000)


class DemoSiteConfig(BaseSettings):
    """Defaults of `reos-demo-site`, each overridable by its command-line option."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="REOS_DEMO_SITE_HOST")
    port: int = Field(9180, ge=0, alias="REOS_DEMO_SITE_PORT")
    count: int = Field(60, ge=1, alias="REOS_DEMO_SITE_COUNT")
    seed: int = Field(7, alias="REOS_DEMO_SITE_SEED")
    id_prefix: str = Field(DEFAULT_ID_PREFIX, alias="REOS_DEMO_SITE_ID_PREFIX")
