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

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.messaging import is_transient

PROBLEM_JSON = "application/problem+json"
UNEXPECTED_DETAIL = "An unexpected error occurred; it has been logged."
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable or busy; try again shortly."

log = logging.getLogger("reos.gateway.errors")


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


async def _invalid_value(request: Request, error: Exception) -> JSONResponse:
    """A value the database refused as data (out of range, a NUL character in a text):
    bad input that got past validation, not a fault of the server."""
    log.info("value refused by the database", extra={"path": request.url.path})
    return problem(422, "Invalid request: a value is outside what the database can store.")


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, DBAPIError) and not is_transient(error):
        return await _unexpected(request, error)
    log.error("database unavailable", extra={"path": request.url.path, "error": repr(error)})
    return problem(503, DATABASE_UNAVAILABLE_DETAIL, headers={"Retry-After": "5"})


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
    app.add_exception_handler(DataError, _invalid_value)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
