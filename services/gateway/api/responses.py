"""JSON answers written straight from the shapes' plain data.

A route that returns `json_response(...)` keeps its `response_model`, which documents the
answer in `/openapi.json`, but FastAPI neither validates nor re-encodes it: for a page of
50 rows that was a third of the gateway's work per request. The shapes build exactly the
declared fields, and `tests/integration/test_gateway_conformance.py` checks every such
answer against its declared model. Timestamps are written as pydantic writes them
(`...Z` for UTC).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def json_response(content: Any) -> Response:
    return Response(orjson.dumps(content, option=JSON_OPTIONS), media_type="application/json")
