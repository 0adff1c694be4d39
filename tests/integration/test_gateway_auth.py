"""API keys on the running gateway: who may read, who may trigger, and what a refused
caller is told (401/403 as problem+json); the OpenAPI document declares the schemes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from services.gateway.api.deps import VERIFIED_KEY_SECONDS
from services.gateway.app import build
from services.gateway.caching import Recent
from services.gateway.cli import create_key
from services.gateway.queries.keys import revoke_key
from shared.settings import Settings

pytestmark = pytest.mark.stack

READ_PATH = "/api/scoring/stats/overview"
TRIGGER_PATH = "/api/pipelines/dags/score_master/trigger"
INVALID_CONF = {"conf": {"property_ids": []}}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
async def keys(settings: Settings) -> dict[str, str]:
    return {
        scope: await create_key(settings, f"auth-test-{scope}", frozenset({scope}))
        for scope in ("read", "operate", "admin")
    }


async def _gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = build(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
async def locked(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with anonymous reads off (the default)."""
    async for client in _gateway(settings.model_copy(update={"anonymous_reads": False})):
        yield client


@pytest.fixture(scope="module")
async def open_reads(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _gateway(settings.model_copy(update={"anonymous_reads": True})):
        yield client


def _write_routes(app: Any) -> Iterator[tuple[str, str]]:
    """Every write operation of the API document, its path parameters filled in."""
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method.upper() in WRITE_METHODS:
                filled = path.replace("{dag_id}", "score_master")
                yield method.upper(), re.sub(r"\{[^}]+\}", "1", filled)


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_a_read_without_a_key_is_401_with_a_challenge(locked: httpx.AsyncClient) -> None:
    response = await locked.get(READ_PATH)
    _assert_problem(response, 401)
    assert "Bearer" in response.headers["www-authenticate"]
    assert "X-API-Key" in response.json()["detail"]


async def test_a_read_key_reads_by_header_and_by_bearer(
    locked: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    by_header = await locked.get(READ_PATH, headers={"X-API-Key": keys["read"]})
    by_bearer = await locked.get(READ_PATH, headers={"Authorization": f"Bearer {keys['read']}"})
    assert (by_header.status_code, by_bearer.status_code) == (200, 200)


async def test_an_unknown_or_malformed_key_is_401(locked: httpx.AsyncClient, keys: dict) -> None:
    forged = keys["admin"][:-4] + "AAAA"
    for key in (forged, "reos_short", "not-a-reos-key", "x" * 5000):
        _assert_problem(await locked.get(READ_PATH, headers={"X-API-Key": key}), 401)


async def test_a_revoked_key_is_401_once_its_verification_expires(
    locked: httpx.AsyncClient, settings: Settings
) -> None:
    now = [0.0]
    gateway = locked.app.state.gateway  # type: ignore[attr-defined]
    gateway.verified_keys = Recent(VERIFIED_KEY_SECONDS, clock=lambda: now[0])
    key = await create_key(settings, "auth-test-revoked", frozenset({"operate"}))
    assert (await locked.get(READ_PATH, headers={"X-API-Key": key})).status_code == 200
    async with gateway.engine.begin() as connection:
        assert await revoke_key(connection, "auth-test-revoked") >= 1
    now[0] += VERIFIED_KEY_SECONDS
    _assert_problem(await locked.get(READ_PATH, headers={"X-API-Key": key}), 401)


async def test_every_write_route_refuses_no_key_wrong_key_and_read_only_key(
    locked: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    routes = list(_write_routes(locked.app))  # type: ignore[attr-defined]
    assert ("POST", TRIGGER_PATH) in routes
    for method, path in routes:
        _assert_problem(await locked.request(method, path, json=INVALID_CONF), 401)
        wrong = {"X-API-Key": "reos_" + "A" * 43}
        _assert_problem(await locked.request(method, path, json=INVALID_CONF, headers=wrong), 401)
        read_only = {"X-API-Key": keys["read"]}
        response = await locked.request(method, path, json=INVALID_CONF, headers=read_only)
        _assert_problem(response, 403)
        assert "'operate'" in response.json()["detail"]


async def test_operate_and_admin_keys_pass_the_trigger_check(
    locked: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    for scope in ("operate", "admin"):
        headers = {"Authorization": f"Bearer {keys[scope]}"}
        response = await locked.post(TRIGGER_PATH, json=INVALID_CONF, headers=headers)
        assert response.status_code == 422, (scope, response.text)


async def test_anonymous_reads_answer_without_a_key_but_still_check_a_sent_one(
    open_reads: httpx.AsyncClient,
) -> None:
    assert (await open_reads.get(READ_PATH)).status_code == 200
    _assert_problem(await open_reads.get(READ_PATH, headers={"X-API-Key": "reos_nope_nope"}), 401)
    _assert_problem(await open_reads.post(TRIGGER_PATH, json=INVALID_CONF), 401)


async def test_probes_answer_without_a_key(locked: httpx.AsyncClient) -> None:
    for path in ("/api/health/", "/api/health/live", "/api/health/ready", "/healthz"):
        assert (await locked.get(path)).status_code == 200, path


async def test_openapi_declares_both_schemes_on_every_protected_operation(
    locked: httpx.AsyncClient,
) -> None:
    document = (await locked.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert (schemes["BearerKey"]["type"], schemes["BearerKey"]["scheme"]) == ("http", "bearer")
    trigger = document["paths"]["/api/pipelines/dags/{dag_id}/trigger"]["post"]
    assert [set(scheme) for scheme in trigger["security"]] == [{"ApiKey"}, {"BearerKey"}]
    assert "operate" in trigger["security"][0]["ApiKey"]
    assert "security" not in document["paths"]["/api/health/live"]["get"]


async def test_a_body_above_the_limit_is_413(
    locked: httpx.AsyncClient, keys: dict[str, str], settings: Settings
) -> None:
    body = b'{"conf": {"reason": "' + b"x" * settings.max_request_bytes + b'"}}'
    headers = {"X-API-Key": keys["operate"], "content-type": "application/json"}
    _assert_problem(await locked.post(TRIGGER_PATH, content=body, headers=headers), 413)
