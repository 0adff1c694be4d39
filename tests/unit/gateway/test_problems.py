"""Every error of the API is `application/problem+json`; a 500 never carries the exception."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asyncpg import exceptions as asyncpg_errors
from fastapi import FastAPI, HTTPException, Query
from psycopg import errors as psycopg_errors
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.gateway.api import problems


def make_app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/missing")
    async def missing() -> None:
        raise HTTPException(404, detail="Score 7 not found")

    @app.get("/paged")
    async def paged(limit: int = Query(50, ge=1, le=100)) -> dict:
        return {"limit": limit}

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("secret connection string postgres://u:p@db")

    @app.get("/database-down")
    async def database_down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    @app.get("/pool-exhausted")
    async def pool_exhausted() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 5 reached")

    @app.get("/no-connection")
    async def no_connection() -> None:
        raise problems.DatabaseUnreachable("ConnectionRefusedError(111)")

    @app.get("/connection-lost")
    async def connection_lost() -> None:
        raise asyncpg_errors.ConnectionDoesNotExistError("connection was closed")

    @app.get("/text-with-nul")
    async def text_with_nul() -> None:
        raise asyncpg_errors.CharacterNotInRepertoireError("invalid byte sequence: 0x00")

    @app.get("/wrapped-out-of-range")
    async def wrapped_out_of_range() -> None:
        refused = asyncpg_errors.NumericValueOutOfRangeError("integer out of range")
        raise DBAPIError("SELECT $1::INTEGER", (2**40,), refused)

    @app.get("/psycopg-out-of-range")
    async def psycopg_out_of_range() -> None:
        refused = psycopg_errors.NumericValueOutOfRange("integer out of range")
        raise DataError("INSERT ...", {}, refused)

    @app.get("/no-such-table")
    async def no_such_table() -> None:
        raise asyncpg_errors.UndefinedTableError('relation "gone" does not exist')

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def test_http_errors_are_problem_json_with_their_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Score 7 not found",
    }


async def test_unknown_paths_are_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert (response.status_code, response.headers["content-type"]) == (
        404,
        "application/problem+json",
    )


async def test_bad_query_is_422_naming_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/paged", params={"limit": 101})
    body = response.json()
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert (
        body["detail"] == "Invalid request: query.limit: Input should be less than or equal to 100"
    )
    assert body["errors"] == [
        {"loc": ["query", "limit"], "msg": body["errors"][0]["msg"], "type": "less_than_equal"}
    ]


async def test_unexpected_errors_are_500_without_the_exception_text(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == problems.UNEXPECTED_DETAIL
    assert "postgres" not in response.text


@pytest.mark.parametrize(
    "path", ["/database-down", "/pool-exhausted", "/no-connection", "/connection-lost"]
)
async def test_an_unreachable_or_busy_database_is_503_to_retry(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["detail"] == problems.DATABASE_UNAVAILABLE_DETAIL


@pytest.mark.parametrize(
    "path", ["/text-with-nul", "/wrapped-out-of-range", "/psycopg-out-of-range"]
)
async def test_a_value_the_database_refuses_is_422_whether_wrapped_or_not(
    client: httpx.AsyncClient, path: str
) -> None:
    """asyncpg's data errors (SQLSTATE class 22) come raw from the reads it runs itself
    and as a plain DBAPIError from SQLAlchemy; psycopg's (the writes') as a DataError."""
    response = await client.get(path)
    assert response.status_code == 422
    assert "outside what the database can store" in response.json()["detail"]


async def test_other_database_errors_are_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-table")
    assert response.status_code == 500
    assert "gone" not in response.text


def test_describe_errors_joins_location_and_message() -> None:
    errors = [
        {"loc": ("body", "conf", "max_items"), "msg": "too small"},
        {"loc": (), "msg": "bad"},
    ]
    assert problems.describe_errors(errors) == "body.conf.max_items: too small; request: bad"
