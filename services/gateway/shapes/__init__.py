"""Response shapes of the API (API-SHAPES.md), built from rows by pure functions."""
