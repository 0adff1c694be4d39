"""Scraper service: Scrapy spiders and the service that runs crawls on `scrape.requested`."""

SERVICE = "scraper"
