"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.app import build
from services.gateway.cli import create_key
from shared.settings import Settings


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app in-process (lifespan on) on the real stack, calling with a key of
    every scope."""
    app = build(settings)
    key = await create_key(settings, "integration-tests", frozenset({"admin"}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers={"X-API-Key": key}
        ) as client,
    ):
        yield client
