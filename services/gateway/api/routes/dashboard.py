"""The dashboard: plain HTML, CSS and JavaScript modules from `services/gateway/static/`,
served as they are (no build step, nothing fetched from the network). It reads the API with
the key the user enters, kept in the browser."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[2] / "static"
MEDIA_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
FILES = {path.name: path for path in STATIC.iterdir() if path.suffix in MEDIA_TYPES}
"""The files the dashboard may serve, by name: nothing outside this list is reachable."""

router = APIRouter(include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = FILES.get(name)
    if path is None:
        raise HTTPException(404, detail=f"No dashboard file {name!r}")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"}
    )


@router.get("/")
async def dashboard() -> FileResponse:
    return _file("index.html")


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    return _file(name)
