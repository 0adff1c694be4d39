"""Properties: search with filters, sorting and CSV export; one home with everything known
about it; its packet PDFs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Response
from fastapi.responses import StreamingResponse

from services.gateway.api.deps import ConnectionDep, GatewayDep, QueryModel, require_scope
from services.gateway.api.responses import json_response
from services.gateway.queries import Row
from services.gateway.queries import properties as queries
from services.gateway.shapes import properties as shapes
from services.gateway.shapes.common import page
from services.gateway.shapes.properties import PropertySearch

router = APIRouter(
    prefix="/api/properties", tags=["Properties"], dependencies=[require_scope("read")]
)

MAX_ID = 2**63 - 1
CSV_BATCH = 500

PropertyId = Annotated[int, Path(ge=1, le=MAX_ID)]
SEARCH = QueryModel(PropertySearch)


def _wants_csv(format_: str | None, accept: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return "text/csv" in (accept or "")


async def _csv_stream(rows: AsyncIterator[Row]) -> AsyncIterator[str]:
    """The CSV header, then the rows in batches."""
    yield shapes.csv_lines((), header=True)
    batch: list[dict[str, Any]] = []
    async for row in rows:
        batch.append(shapes.summary(row))
        if len(batch) == CSV_BATCH:
            yield shapes.csv_lines(batch, header=False)
            batch = []
    yield shapes.csv_lines(batch, header=False)


@router.get(
    "",
    summary="Search properties; `format=csv` (or Accept: text/csv) exports the same page",
    response_model=shapes.PropertyPage,
    responses={200: {"content": {"text/csv": {}}}, 422: {"description": "invalid filters"}},
    openapi_extra=SEARCH.openapi_extra,
)
async def search_properties(
    connection: ConnectionDep,
    search: Annotated[PropertySearch, Depends(SEARCH)],
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    problems = search.contradictions()
    if problems:
        raise HTTPException(422, detail="; ".join(problems))
    limit, offset = search.limit, search.offset
    if _wants_csv(search.format, accept):
        total = await queries.count_matching(connection, search)
        rows = queries.search(connection, search, search.sort, limit, offset, read=queries.streamed)
        return StreamingResponse(
            _csv_stream(rows),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="properties.csv"',
                "X-Total-Count": str(total),
            },
        )
    if limit > shapes.JSON_PAGE_LIMIT:
        raise HTTPException(422, detail=f"limit is at most {shapes.JSON_PAGE_LIMIT} for JSON")
    total = await queries.count_matching(connection, search)
    rows = queries.search(connection, search, search.sort, limit, offset)
    data = [shapes.summary(row) async for row in rows]
    return json_response(page(total, limit, offset, data))


@router.get(
    "/{property_id}",
    summary="Everything known about one home: facts, sources, enrichment, valuation, score, "
    "ROI, score history, packets",
    response_model=shapes.PropertyDetails,
    responses={404: {"description": "no such property"}},
)
async def get_property(
    property_id: PropertyId, connection: ConnectionDep
) -> shapes.PropertyDetails:
    row = await queries.get_property(connection, property_id)
    if row is None:
        raise HTTPException(404, detail=f"Property {property_id} not found")
    origin = await queries.listing_origin(connection, row["prospect_id"])
    scores = await queries.scores_of(connection, property_id)
    documents = await queries.documents_of(connection, property_id)
    return shapes.details(row, origin, scores, documents)


@router.get(
    "/{property_id}/documents",
    summary="Every packet version of a home, newest first",
    response_model=shapes.DocumentList,
    responses={404: {"description": "no such property"}},
)
async def list_documents(property_id: PropertyId, connection: ConnectionDep) -> shapes.DocumentList:
    if not await queries.property_exists(connection, property_id):
        raise HTTPException(404, detail=f"Property {property_id} not found")
    rows = await queries.documents_of(connection, property_id)
    data = [shapes.document_row(row) for row in rows]
    return shapes.DocumentList(property_id=property_id, total=len(data), data=data)


PDF_RESPONSE = {
    200: {"content": {"application/pdf": {}}, "description": "the PDF"},
    404: {"description": "no such property or packet"},
}


async def _document_response(
    gateway: GatewayDep, connection: ConnectionDep, property_id: int, document_id: int | None
) -> Response:
    document = await queries.stored_document(connection, property_id, document_id)
    if document is None:
        what = "packet" if document_id is None else f"document {document_id}"
        raise HTTPException(404, detail=f"No {what} found for property {property_id}")
    body = await gateway.store.aget(document["storage_uri"])
    filename = f"property-{property_id}-packet-{document['id']}.pdf"
    return Response(
        body,
        media_type=document["content_type"],
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "ETag": f'"{document["sha256"]}"',
        },
    )


@router.get(
    "/{property_id}/packet",
    summary="The latest packet PDF of a home",
    response_class=Response,
    responses=PDF_RESPONSE,
)
async def latest_packet(
    property_id: PropertyId, gateway: GatewayDep, connection: ConnectionDep
) -> Response:
    return await _document_response(gateway, connection, property_id, None)


@router.get(
    "/{property_id}/documents/{document_id}",
    summary="One packet version of a home, as stored",
    response_class=Response,
    responses=PDF_RESPONSE,
)
async def document_version(
    property_id: PropertyId,
    document_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    gateway: GatewayDep,
    connection: ConnectionDep,
) -> Response:
    return await _document_response(gateway, connection, property_id, document_id)
