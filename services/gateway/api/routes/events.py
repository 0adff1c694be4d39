"""The platform's topics and event schemas, as an AsyncAPI document."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter

from shared.asyncapi import platform_document
from shared.settings import get_settings

router = APIRouter(prefix="/api/events", tags=["Events"])


@cache
def _document() -> dict[str, Any]:
    return platform_document(get_settings().kafka_bootstrap_servers)


@router.get("/asyncapi.json", summary="AsyncAPI document of every topic and its events")
async def asyncapi() -> dict[str, Any]:
    return _document()
