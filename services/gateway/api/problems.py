"""One error format for the whole API: RFC 9457 problem details (`application/problem+json`
with `type`, `title`, `status`, `detail`).

Bad input answers 4xx with what was wrong; an unexpected error answers 500 with a generic
detail (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from asyncpg import PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.messaging import is_transient

PROBLEM_JSON = "application/problem+json"
UNEXPECTED_DETAIL = "An unexpected error occurred; it has been logged."
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable or busy; try again shortly."

log = logging.getLogger("reos.gateway.errors")


class DatabaseUnreachable(Exception):
    """No connection to the database could be opened for a request (refused, reset, timed
    out). The reads' driver, asyncpg, raises these as plain `OSError` and `TimeoutError`,
    which SQLAlchemy passes on unwrapped: named where the connection is opened, they answer
    503 like any other outage, not 500."""


def problem(
    status: int,
    detail: Any,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def describe_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """`query.limit: Input should be less than or equal to 100; body.conf: ...`"""
    return "; ".join(f"{_location(error.get('loc', ()))}: {error.get('msg')}" for error in errors)


def plain_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Where and what, without the offending input (it may be large or not JSON)."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
        for error in errors
    ]


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return problem(error.status_code, error.detail, headers=error.headers)


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    return problem(
        422,
        f"Invalid request: {describe_errors(errors)}",
        errors=plain_errors(errors),
    )


DATA_EXCEPTION = "22"
"""The SQLSTATE class of a value the database refuses as data (out of range, a NUL character
in a text)."""
OUTAGE_CLASSES = frozenset(("08", "53", "57"))
"""SQLSTATE classes of an outage: connection exception, insufficient resources, operator
intervention (a shutdown or restart, a cancelled statement)."""


def sqlstate(error: BaseException) -> str:
    """The SQLSTATE of a database error raised by either driver, wrapped by SQLAlchemy or
    not ("" for none). With asyncpg, SQLAlchemy wraps most errors as a plain `DBAPIError`
    (a refused value is no `DataError`, as it is with psycopg), and the reads read by
    asyncpg itself raise its own errors: the code is what all of them have in common."""
    for candidate in (error, getattr(error, "orig", None)):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return ""


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    """A value the database refused as data: bad input that got past validation, not a
    fault of the server (422). An outage: 503 with Retry-After. Anything else: 500."""
    code = sqlstate(error)
    if code.startswith(DATA_EXCEPTION):
        log.info("value refused by the database", extra={"path": request.url.path})
        return problem(422, "Invalid request: a value is outside what the database can store.")
    if (
        isinstance(error, (PoolTimeout, DatabaseUnreachable))
        or code[:2] in OUTAGE_CLASSES
        or is_transient(error)
    ):
        log.error("database unavailable", extra={"path": request.url.path, "error": repr(error)})
        return problem(503, DATABASE_UNAVAILABLE_DETAIL, headers={"Retry-After": "5"})
    return await _unexpected(request, error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error(
        "unhandled error",
        exc_info=(type(error), error, error.__traceback__),
        extra={"path": request.url.path, "method": request.method},
    )
    return problem(500, UNEXPECTED_DETAIL)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for database_error in (DBAPIError, PostgresError, PoolTimeout, DatabaseUnreachable):
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
