"""Scrapy spiders: each follows one kind of site and yields `ScrapedListing` items."""
