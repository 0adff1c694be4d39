"""The scorer's tables: property_scores, scoring_jobs, scored_properties (its own copy of
what it scores) and, through `registry`, the model registry."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Text, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scorer.appraisal import Appraisal
from services.scorer.rent import RentalComparable
from shared.db.tables import property_scores, scored_properties, scoring_jobs
from shared.events import PropertyEnriched
from shared.listing import Listing

PIPELINE_ID = "score_master"


@dataclass(frozen=True)
class Subject:
    """One property to score: its facts and enrichment as the scorer last received them."""

    property_id: int
    prospect_id: int | None
    listing: Listing
    enrichment: dict[str, Any]


async def remember_properties(session: AsyncSession, events: list[PropertyEnriched]) -> None:
    """Keep the latest `property.enriched` of each property, for re-scoring on request and
    as the platform's own market data (rentals, sales)."""
    latest = {event.property_id: event for event in events}
    rows = [
        {
            "property_id": event.property_id,
            "prospect_id": event.prospect_id,
            "address": event.address,
            "listing": event.listing.model_dump(mode="json"),
            "enrichment": event.enrichment,
            "status": event.listing.status,
            "zip_code": event.listing.zip_code,
            "source_event_id": event.event_id,
        }
        for event in latest.values()
    ]
    statement = insert(scored_properties)
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[scored_properties.c.property_id],
            set_={
                name: excluded[name]
                for name in (
                    "prospect_id",
                    "address",
                    "listing",
                    "enrichment",
                    "status",
                    "zip_code",
                    "source_event_id",
                )
            }
            | {"updated_at": func.now()},
        ),
        rows,
    )


async def load_subject(session: AsyncSession, property_id: int) -> Subject | None:
    found = await session.execute(
        select(scored_properties).where(scored_properties.c.property_id == property_id)
    )
    row = found.mappings().one_or_none()
    if row is None:
        return None
    return Subject(
        property_id=row["property_id"],
        prospect_id=row["prospect_id"],
        listing=Listing.model_validate(row["listing"]),
        enrichment=row["enrichment"],
    )


async def rentals_in(
    session: AsyncSession, zip_codes: set[str], per_zip: int
) -> dict[str, list[RentalComparable]]:
    """The platform's own rental listings in each ZIP, newest first, as rent comparables."""
    if not zip_codes or per_zip == 0:
        return {}
    ranked = (
        select(
            scored_properties.c.zip_code,
            scored_properties.c.listing,
            func.row_number()
            .over(
                partition_by=scored_properties.c.zip_code,
                order_by=scored_properties.c.updated_at.desc(),
            )
            .label("rank"),
        )
        .where(
            scored_properties.c.zip_code.in_(sorted(zip_codes)),
            scored_properties.c.status == "for_rent",
        )
        .subquery()
    )
    found = await session.execute(
        select(ranked.c.zip_code, ranked.c.listing).where(ranked.c.rank <= per_zip)
    )
    rentals: dict[str, list[RentalComparable]] = defaultdict(list)
    for zip_code, payload in found:
        listing = Listing.model_validate(payload)
        if listing.price:
            rentals[zip_code].append(
                RentalComparable(
                    monthly_rent=listing.price,
                    sqft=listing.sqft,
                    bedrooms=listing.bedrooms,
                    zip_code=zip_code,
                )
            )
    return dict(rentals)


async def save_scores(
    session: AsyncSession, scores: list[tuple[int, Appraisal, str | None]]
) -> list[int]:
    """The id of the score row of each `(property_id, appraisal, run_id)`, writing the new
    ones.

    A score is identified by its property, model version and input hash: the same inputs
    scored again (a redelivery, a re-score without changes) find the row already there.
    """

    def identity(property_id: int, appraisal: Appraisal) -> tuple[int, str, str]:
        return property_id, appraisal.model_version, appraisal.input_hash

    rows = {
        identity(property_id, appraisal): _score_row(property_id, appraisal, run_id)
        for property_id, appraisal, run_id in scores
    }
    # Many parameter sets for one statement: compiled and prepared once, pipelined.
    await session.execute(
        insert(property_scores).on_conflict_do_nothing(
            index_elements=["property_id", "model_version", "input_hash"]
        ),
        list(rows.values()),
    )
    # The ids, new or already there, by one statement of fixed text (three arrays).
    pids, versions, digests = (list(column) for column in zip(*rows, strict=True))
    wanted = (
        func.unnest(
            bindparam("pids", pids, type_=ARRAY(BigInteger)),
            bindparam("versions", versions, type_=ARRAY(Text)),
            bindparam("digests", digests, type_=ARRAY(Text)),
        )
        .table_valued("property_id", "model_version", "input_hash")
        .render_derived()
    )
    found = await session.execute(
        select(
            property_scores.c.property_id,
            property_scores.c.model_version,
            property_scores.c.input_hash,
            property_scores.c.id,
        ).join(
            wanted,
            and_(
                property_scores.c.property_id == wanted.c.property_id,
                property_scores.c.model_version == wanted.c.model_version,
                property_scores.c.input_hash == wanted.c.input_hash,
            ),
        )
    )
    ids = {(pid, version, digest): int(score_id) for pid, version, digest, score_id in found}
    return [ids[identity(property_id, appraisal)] for property_id, appraisal, _ in scores]


def _score_row(property_id: int, appraisal: Appraisal, run_id: str | None) -> dict[str, Any]:
    valuation, rent = appraisal.valuation, appraisal.rent
    return {
        "property_id": property_id,
        "dag_run_id": run_id,
        "overall_score": appraisal.scores.overall_score,
        "investment_score": appraisal.scores.investment_score,
        "risk_score": appraisal.scores.risk_score,
        "roi_estimate": appraisal.roi_estimate,
        "score_components": appraisal.components,
        "model_version": appraisal.model_version,
        "features_used": appraisal.features_used,
        "input_hash": appraisal.input_hash,
        "estimated_value": appraisal.estimated_value,
        "value_low": valuation.value_low if valuation else None,
        "value_high": valuation.value_high if valuation else None,
        "monthly_rent_estimate": rent.monthly_rent if rent else None,
        "cap_rate": appraisal.cap_rate,
        "comparables": appraisal.comparables,
    }


async def record_jobs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One job row per consumed event; a redelivered event's row is already there."""
    await session.execute(
        insert(scoring_jobs).on_conflict_do_nothing(index_elements=["source_event_id"]),
        [{"dag_id": PIPELINE_ID, **row} for row in rows],
    )
