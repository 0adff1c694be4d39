"""Stopping crawls: cancelling one scraping job, or every crawl of a pipeline run, by
publishing `ScrapeCancelRequested`, which the scraper obeys (needs `operate`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from services.gateway.api.deps import ConnectionDep, GatewayDep, require_scope
from services.gateway.queries import cancellation as queries
from services.gateway.security import Principal
from shared.events import ScrapeCancelRequested

router = APIRouter(tags=["Scraping"])

Operator = Annotated[Principal, require_scope("operate")]
ACCEPTED = {
    404: {"description": "no such job or run"},
    409: {"description": "it has finished already"},
}


class CancelRequest(BaseModel):
    reason: str | None = Field(None, max_length=500, description="kept in the job's error log")


class CancelRequested(BaseModel):
    message: str
    event_id: str
    job_id: int | None
    dag_run_id: str | None


def _reason(request: CancelRequest | None, operator: Principal) -> str:
    given = request.reason if request else None
    return given or f"cancelled by {operator.name}"


@router.post(
    "/api/scraping/jobs/{job_id}/cancel",
    status_code=202,
    summary="Stop a queued or running crawl",
    responses=ACCEPTED,
)
async def cancel_scraping_job(
    job_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    gateway: GatewayDep,
    connection: ConnectionDep,
    operator: Operator,
    request: CancelRequest | None = None,
) -> CancelRequested:
    job = await queries.scraping_job(connection, job_id)
    if job is None:
        raise HTTPException(404, detail=f"Scraping job {job_id} not found")
    if job["status"] not in queries.UNFINISHED:
        raise HTTPException(409, detail=f"Scraping job {job_id} is {job['status']} already")
    event = ScrapeCancelRequested(
        job_id=job_id, run_id=job["dag_run_id"], reason=_reason(request, operator)
    )
    await gateway.messaging.publish(event)
    return CancelRequested(
        message=f"Scraping job {job_id} asked to stop",
        event_id=str(event.event_id),
        job_id=job_id,
        dag_run_id=job["dag_run_id"],
    )


@router.post(
    "/api/pipelines/dags/{dag_id}/runs/{dag_run_id}/cancel",
    status_code=202,
    summary="Stop the crawls of a pipeline run",
    tags=["Pipelines"],
    responses=ACCEPTED,
)
async def cancel_run(
    dag_id: Annotated[str, Path(max_length=64)],
    dag_run_id: Annotated[str, Path(max_length=128)],
    gateway: GatewayDep,
    connection: ConnectionDep,
    operator: Operator,
    request: CancelRequest | None = None,
) -> CancelRequested:
    run = await queries.run_crawls(connection, dag_id, dag_run_id)
    if run is None:
        raise HTTPException(404, detail=f"DAG run {dag_run_id} of DAG {dag_id} not found")
    if run["status"] in ("success", "failed") and not run["unfinished_crawls"]:
        raise HTTPException(409, detail=f"DAG run {dag_run_id} is {run['status']} already")
    event = ScrapeCancelRequested(run_id=dag_run_id, reason=_reason(request, operator))
    await gateway.messaging.publish(event)
    return CancelRequested(
        message=f"The crawls of DAG run {dag_run_id} asked to stop",
        event_id=str(event.event_id),
        job_id=None,
        dag_run_id=dag_run_id,
    )
