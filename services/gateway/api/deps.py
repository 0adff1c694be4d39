"""What route handlers are given: the gateway's resources, the caller's scopes, a database
connection, paging, filters read from the query string."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.gateway import security
from services.gateway.api.problems import DatabaseUnreachable
from services.gateway.caching import Recent
from services.gateway.queries import keys as key_store
from services.gateway.security import ANONYMOUS_READER, Principal, Scope
from shared.messaging import Messaging
from shared.observability import ServiceMetrics
from shared.service import HealthChecks
from shared.settings import Settings
from shared.storage import ObjectStore

VERIFIED_KEY_SECONDS = 5.0
"""How long a verified key is trusted without asking the database again: a revoked key
stops working at most this long after `keys revoke`."""


@dataclass
class Gateway:
    """The long-lived resources of the gateway, built once in `app.build`: `engine` for
    writes and checks, `reads` (snapshot reads only) for the requests' reads."""

    settings: Settings
    metrics: ServiceMetrics
    messaging: Messaging
    engine: AsyncEngine
    reads: AsyncEngine
    store: ObjectStore
    readiness: HealthChecks
    verified_keys: Recent[Principal | None] = field(
        default_factory=lambda: Recent(VERIFIED_KEY_SECONDS)
    )
    readers: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        # Requests take a connection in the order they come, at most the pool's size at once.
        # Past it, the pool opened connections that it closed again as soon as a few were
        # idle (hundreds a second: a new PostgreSQL backend each), and a request waiting for
        # one could be overtaken by later ones again and again (p99 near a second).
        self.readers = asyncio.Semaphore(self.settings.db_pool_size)


async def get_gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="An API key made with `reos-gateway keys create`.",
    auto_error=False,
)
BEARER_KEY = HTTPBearer(
    scheme_name="BearerKey",
    description="The same API key, as `Authorization: Bearer <key>`.",
    auto_error=False,
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="reos", ApiKey header="X-API-Key"'}


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers=CHALLENGE)


async def _stored_owner(gateway: Gateway, key: str, prefix: str) -> Principal | None:
    server_secret = gateway.settings.api_key_secret.get_secret_value()
    async with gateway.engine.connect() as connection:
        candidates = await key_store.live_keys_with_prefix(connection, prefix)
    for row in candidates:
        if security.matches(key, row["key_hash"], server_secret):
            scopes = security.parse_scopes(row["scopes"])
            return Principal(name=row["name"], scopes=scopes, key_id=row["id"])
    return None


async def _key_owner(gateway: Gateway, key: str) -> Principal:
    """The owner of a live key. A verified key is remembered by its HMAC for
    `VERIFIED_KEY_SECONDS`; an unknown or revoked one is looked up every time."""
    prefix = security.prefix_of(key)
    if prefix is not None:
        owner = await gateway.verified_keys.value(
            security.digest(key, gateway.settings.api_key_secret.get_secret_value()),
            partial(_stored_owner, gateway, key, prefix),
            keep=lambda found: found is not None,
        )
        if owner is not None:
            return owner
    raise _unauthorized("The API key is not valid (unknown or revoked).")


def require_scope(scope: Scope) -> Any:
    """A route dependency letting through callers whose key holds `scope` (or a wider one):
    `@router.post(..., dependencies=[require_scope("operate")])`. The key is read from
    either header; one that is sent is always checked, even where anonymous reads are
    allowed. No key: 401 (for `read` with anonymous reads on, the caller is let through as
    an anonymous reader); a key without the scope: 403."""

    async def check(
        gateway: GatewayDep,
        x_api_key: Annotated[str | None, Security(API_KEY_HEADER)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_KEY)],
    ) -> Principal:
        key = (x_api_key or (bearer.credentials if bearer else "")).strip()
        if not key:
            if scope == "read" and gateway.settings.anonymous_reads:
                return ANONYMOUS_READER
            raise _unauthorized(
                f"This endpoint needs an API key with the {scope!r} scope "
                "(send it as X-API-Key or Authorization: Bearer)."
            )
        caller = await _key_owner(gateway, key)
        if not caller.allows(scope):
            raise HTTPException(
                403, detail=f"The API key {caller.name!r} lacks the {scope!r} scope."
            )
        return caller

    return Security(check, scopes=[scope])


async def get_connection(gateway: GatewayDep) -> AsyncIterator[AsyncConnection]:
    """A connection of `reads` for one request: a GET cannot write. Its queries share
    one snapshot, so that a page's `total` and rows, or the parts of a statistic, agree
    while the services keep writing. Requests wait for one in the order they came."""
    async with gateway.readers:
        connection = gateway.reads.connect()
        try:
            await connection.start()
        except (OSError, TimeoutError) as error:
            raise DatabaseUnreachable(repr(error)) from error
        try:
            yield connection
        finally:
            await connection.close()


ConnectionDep = Annotated[AsyncConnection, Depends(get_connection)]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


MAX_BIGINT = 2**63 - 1
"""The largest id and offset PostgreSQL can take; a larger one is refused as bad input."""

RowId = Annotated[int, Path(ge=0, le=MAX_BIGINT, description="the row's id")]
Offset = Annotated[int, Query(ge=0, le=MAX_BIGINT, description="rows to skip")]


async def get_page(
    limit: Annotated[int, Query(ge=1, le=100, description="rows per page")] = 50,
    offset: Offset = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(get_page)]


JobStatus = Literal["queued", "running", "success", "failed", "cancelled"]


OperatorDep = Annotated[Principal, require_scope("operate")]
"""The caller of a write route, when the handler needs to know who it is."""


Model = TypeVar("Model", bound=BaseModel)


class QueryModel(Generic[Model]):
    """A dependency reading `model`, a pydantic model of optional query parameters, from the
    query string in one validation, and its parameters documented as FastAPI documents a
    `Query()` model (the route's `openapi_extra`): a route takes
    `Annotated[Filters, Depends(FILTERS)]` with `openapi_extra=FILTERS.openapi_extra`.

    FastAPI reads a `Query()` model field by field in Python: 225 us for the property
    search's 21 filters, a tenth of a search request's CPU, against 4 us for pydantic
    validating them at once. A parameter given twice counts once, its last value, as with
    FastAPI; every invalid one is reported in one 422, each naming `query.<name>`.
    """

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.openapi_extra = {
            "parameters": [
                _query_parameter(name, schema)
                for name, schema in model.model_json_schema()["properties"].items()
            ]
        }

    async def __call__(self, request: Request) -> Model:
        try:
            return self.model.model_validate(dict(request.query_params))
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("query", *e["loc"])} for e in error.errors(include_url=False)]
            ) from None


def _query_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter's OpenAPI object, from its field's JSON schema."""
    schema = {key: value for key, value in schema.items() if (key, value) != ("default", None)}
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if "description" in schema:
        parameter["description"] = schema["description"]
    return parameter
