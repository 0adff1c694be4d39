"""The largest request the gateway reads: a body above `REOS_MAX_REQUEST_BYTES` is refused
with 413 (problem+json), whether it declares its length or streams it."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.api.problems import problem


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail=f"The request body exceeds {limit} bytes.")


class RequestSizeLimit:
    """ASGI middleware bounding request bodies to `max_bytes`: a declared length above it is
    answered at once; a streamed body that grows past it fails when the handler reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            error = _too_large(self.max_bytes)
            await problem(error.status_code, error.detail)(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _too_large(self.max_bytes)
            return message

        await self.app(scope, bounded_receive, send)
