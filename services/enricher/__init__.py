"""The enricher: normalises raw prospects into properties and adds location data."""
