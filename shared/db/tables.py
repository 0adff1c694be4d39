"""Every table of the platform, as SQLAlchemy Core tables on one MetaData.

The Alembic chain in `migrations/` creates them; services never do. Each table has
exactly one writer (ARCHITECTURE.md §4), named in its `info["owner"]`; the gateway
reads them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JOB_STATUSES = ("queued", "running", "success", "failed", "cancelled")
PROSPECT_STATUSES = ("new", "processing", "enriched", "scored", "failed")
RUN_STATUSES = ("queued", "running", "success", "failed")


def _now() -> sa.TextClause:
    return sa.text("now()")


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()
    )


def _updated_at() -> sa.Column:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()
    )


def _status(
    name: str, values: tuple[str, ...], default: str
) -> tuple[sa.Column, sa.CheckConstraint]:
    allowed = ", ".join(f"'{value}'" for value in values)
    return (
        sa.Column("status", sa.String(16), nullable=False, server_default=default),
        sa.CheckConstraint(f"status IN ({allowed})", name=f"{name}_status"),
    )


# --- scraper -----------------------------------------------------------------

scraping_jobs = sa.Table(
    "scraping_jobs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dag_id", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    *_status("scraping_jobs", JOB_STATUSES, "queued"),
    sa.Column("items_scraped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("items_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pages_crawled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("config", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("error_log", sa.Text),
    sa.Column("request_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _created_at(),
    _updated_at(),
    sa.CheckConstraint(
        "completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at",
        name="scraping_jobs_times",
    ),
    sa.Index(None, "status"),
    sa.Index(None, "source"),
    sa.Index(None, "dag_run_id"),
    sa.Index(None, "created_at"),
    # the gateway's job lists: filtered by status and/or source, newest first
    sa.Index(None, "status", "created_at"),
    sa.Index(None, "source", "status", "created_at"),
    info={"owner": "scraper"},
)

prospect_queue = sa.Table(
    "prospect_queue",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("source_id", sa.String(256), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("payload", JSONB, nullable=False),
    *_status("prospect_queue", PROSPECT_STATUSES, "new"),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column(
        "scraping_job_id", sa.BigInteger, sa.ForeignKey("scraping_jobs.id", ondelete="SET NULL")
    ),
    _created_at(),
    _updated_at(),
    sa.UniqueConstraint("source", "source_id"),
    sa.Index(None, "status"),
    sa.Index(None, "created_at"),
    sa.Index(None, "dag_run_id"),
    info={"owner": "scraper"},
)

schedule_ticks = sa.Table(
    "schedule_ticks",
    metadata,
    sa.Column("schedule", sa.String(64), primary_key=True),
    sa.Column("tick_at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("pipeline", sa.String(64), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("run_id", sa.String(128), nullable=False),
    sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    info={"owner": "scraper"},
)

# --- enricher ----------------------------------------------------------------

properties = sa.Table(
    "properties",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "prospect_id", sa.BigInteger, sa.ForeignKey("prospect_queue.id", ondelete="SET NULL")
    ),
    sa.Column("property_key", sa.String(256), nullable=False, unique=True),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("city", sa.String(128)),
    sa.Column("state", sa.String(2)),
    sa.Column("zip_code", sa.String(10)),
    sa.Column("property_type", sa.String(64)),
    sa.Column("listing_type", sa.String(32)),
    sa.Column("bedrooms", sa.Integer),
    sa.Column("bathrooms", sa.Float),
    sa.Column("sqft", sa.Integer),
    sa.Column("lot_size", sa.Float),
    sa.Column("year_built", sa.Integer),
    sa.Column("price", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("enrichment_data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("enrichment_sources", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("address_kind", sa.String(16), nullable=False, server_default="street"),
    sa.Column("list_date", sa.Date),
    sa.Column("location_precision", sa.String(16)),
    sa.Column("county_fips", sa.String(5)),
    sa.Column("census_tract", sa.String(11)),
    sa.Column("field_provenance", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("source_listings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    _created_at(),
    _updated_at(),
    # The homes of a city, state or type newest first (the gateway's list of enriched
    # homes), in the index's order.
    sa.Index(None, "city", "created_at", "id"),
    sa.Index(None, "state", "created_at", "id"),
    sa.Index(None, "zip_code"),
    sa.Index(None, "property_type", "created_at", "id"),
    # Every home newest first (a search's default order), ties by id, in the index's order.
    sa.Index(None, "created_at", "id"),
    # A search's count of the homes in a price range, with or without a floor on bedrooms,
    # read from the index alone.
    sa.Index(None, "price", postgresql_include=["bedrooms"]),
    sa.Index(None, "prospect_id"),
    info={"owner": "enricher"},
)
# The gateway's property search matches cities in any letter case, newest first; with the
# city itself in the index, a count of a city's homes reads the index alone.
sa.Index(
    "ix_properties_lower_city_created_at",
    sa.func.lower(properties.c.city),
    properties.c.created_at,
    properties.c.id,
    postgresql_include=["city"],
)
# The enricher's market figures per ZIP read the homes for sale from this index alone.
sa.Index(
    "ix_properties_for_sale_zip_code",
    properties.c.zip_code,
    postgresql_include=["price", "sqft", "list_date"],
    postgresql_where=properties.c.listing_type == "for_sale",
)

enrichment_jobs = sa.Table(
    "enrichment_jobs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dag_id", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("property_id", sa.BigInteger, sa.ForeignKey("properties.id", ondelete="SET NULL")),
    sa.Column(
        "prospect_id", sa.BigInteger, sa.ForeignKey("prospect_queue.id", ondelete="SET NULL")
    ),
    sa.Column("enrichment_type", sa.String(32), nullable=False),
    *_status("enrichment_jobs", JOB_STATUSES, "queued"),
    sa.Column("data_sources_used", JSONB),
    sa.Column("fields_enriched", JSONB),
    sa.Column("error_log", sa.Text),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _created_at(),
    _updated_at(),
    sa.UniqueConstraint("source_event_id", "enrichment_type"),
    sa.CheckConstraint(
        "completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at",
        name="enrichment_jobs_times",
    ),
    sa.Index(None, "status"),
    sa.Index(None, "enrichment_type"),
    sa.Index(None, "dag_run_id"),
    sa.Index(None, "created_at"),
    sa.Index(None, "status", "created_at"),
    info={"owner": "enricher"},
)

property_field_history = sa.Table(
    "property_field_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "property_id",
        sa.BigInteger,
        sa.ForeignKey("properties.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("old_value", JSONB),
    sa.Column("new_value", JSONB),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("source_id", sa.String(256), nullable=False),
    sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.UniqueConstraint("event_id", "property_id", "field"),
    sa.Index(None, "property_id"),
    sa.Index(None, "field", "recorded_at"),
    info={"owner": "enricher"},
)

geocode_cache = sa.Table(
    "geocode_cache",
    metadata,
    sa.Column("address_key", sa.String(320), primary_key=True),
    sa.Column("match", JSONB),
    sa.Column("geocoded_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    info={"owner": "enricher"},
)

data_quality_metrics = sa.Table(
    "data_quality_metrics",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("metric_type", sa.String(64), nullable=False),
    sa.Column("metric_name", sa.String(128), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float),
    sa.Column("is_passing", sa.Boolean, nullable=False),
    sa.Column("entity_type", sa.String(64)),
    sa.Column("entity_id", sa.String(128)),
    sa.Column("details", JSONB),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.UniqueConstraint("metric_type", "metric_name", "entity_type", "entity_id"),
    sa.Index(None, "metric_type"),
    sa.Index(None, "measured_at"),
    info={"owner": "enricher"},
)

# --- scorer ------------------------------------------------------------------

model_registry = sa.Table(
    "model_registry",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("model_name", sa.String(64), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False, server_default="candidate"),
    sa.Column("algorithm", sa.String(64), nullable=False),
    sa.Column("metrics", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("feature_names", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("artifact_uri", sa.Text),
    sa.Column("trained_at", sa.DateTime(timezone=True)),
    sa.Column("promoted_at", sa.DateTime(timezone=True)),
    _created_at(),
    sa.UniqueConstraint("model_name", "model_version"),
    sa.CheckConstraint(
        "stage IN ('candidate', 'production', 'archived')", name="model_registry_stage"
    ),
    info={"owner": "scorer"},
)

property_scores = sa.Table(
    "property_scores",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "property_id",
        sa.BigInteger,
        sa.ForeignKey("properties.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("overall_score", sa.Float, nullable=False),
    sa.Column("investment_score", sa.Float, nullable=False),
    sa.Column("risk_score", sa.Float, nullable=False),
    sa.Column("roi_estimate", sa.Float),
    sa.Column("score_components", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("features_used", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("estimated_value", sa.Float),
    sa.Column("value_low", sa.Float),
    sa.Column("value_high", sa.Float),
    sa.Column("monthly_rent_estimate", sa.Float),
    sa.Column("cap_rate", sa.Float),
    sa.Column("comparables", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    _created_at(),
    _updated_at(),
    sa.UniqueConstraint("property_id", "model_version", "input_hash"),
    sa.CheckConstraint("overall_score BETWEEN 0 AND 100", name="property_scores_overall_range"),
    # A home's latest score; with the figures the gateway's search filters on, a filter on
    # them reads the index alone.
    sa.Index(None, "property_id", "id", postgresql_include=["overall_score", "cap_rate"]),
    sa.Index(None, "created_at"),
    sa.Index(None, "dag_run_id"),
    # The gateway walks the scores in the order of these figures, ties newest first, and
    # stops after a page: the id makes the index's order the whole order (no sort of ties).
    sa.Index(None, "overall_score", "id"),
    sa.Index(None, "cap_rate", "id"),
    sa.Index(None, "estimated_value", "id"),
    info={"owner": "scorer"},
)

scored_properties = sa.Table(
    "scored_properties",
    metadata,
    sa.Column("property_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("prospect_id", sa.BigInteger),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("listing", JSONB, nullable=False),
    sa.Column("enrichment", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("zip_code", sa.String(10)),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    _updated_at(),
    sa.Index(None, "zip_code", "status"),
    info={"owner": "scorer"},
    comment="The latest property.enriched of each property, as the scorer received it: "
    "what scoring.requested re-scores, and the platform's own rentals and sales.",
)

scoring_jobs = sa.Table(
    "scoring_jobs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dag_id", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("property_id", sa.BigInteger, sa.ForeignKey("properties.id", ondelete="SET NULL")),
    sa.Column("score_id", sa.BigInteger, sa.ForeignKey("property_scores.id", ondelete="SET NULL")),
    sa.Column("model_version", sa.String(64)),
    *_status("scoring_jobs", JOB_STATUSES, "queued"),
    sa.Column("error_log", sa.Text),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _created_at(),
    _updated_at(),
    sa.CheckConstraint(
        "completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at",
        name="scoring_jobs_times",
    ),
    sa.Index(None, "status"),
    sa.Index(None, "dag_run_id"),
    sa.Index(None, "created_at"),
    info={"owner": "scorer"},
)

# --- docgen ------------------------------------------------------------------

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column(
        "property_id",
        sa.BigInteger,
        sa.ForeignKey("properties.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("score_id", sa.BigInteger, sa.ForeignKey("property_scores.id", ondelete="SET NULL")),
    sa.Column("document_type", sa.String(32), nullable=False, server_default="property_packet"),
    sa.Column("storage_uri", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False, server_default="application/pdf"),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("template_version", sa.String(32), nullable=False),
    sa.Column("dag_run_id", sa.String(128)),
    _created_at(),
    _updated_at(),
    sa.UniqueConstraint("property_id", "score_id", "document_type", "template_version"),
    sa.Index(None, "created_at"),
    info={"owner": "docgen"},
)

docgen_jobs = sa.Table(
    "docgen_jobs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dag_id", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128)),
    sa.Column("property_id", sa.BigInteger, sa.ForeignKey("properties.id", ondelete="SET NULL")),
    sa.Column("score_id", sa.BigInteger, sa.ForeignKey("property_scores.id", ondelete="SET NULL")),
    sa.Column("document_id", sa.BigInteger, sa.ForeignKey("documents.id", ondelete="SET NULL")),
    *_status("docgen_jobs", JOB_STATUSES, "queued"),
    sa.Column("render_seconds", sa.Float),
    sa.Column("error_log", sa.Text),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _created_at(),
    _updated_at(),
    sa.CheckConstraint(
        "completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at",
        name="docgen_jobs_times",
    ),
    sa.Index(None, "status"),
    sa.Index(None, "dag_run_id"),
    sa.Index(None, "created_at"),
    info={"owner": "docgen"},
)

docgen_properties = sa.Table(
    "docgen_properties",
    metadata,
    sa.Column("property_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("prospect_id", sa.BigInteger),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("listing", JSONB, nullable=False),
    sa.Column("enrichment", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    _updated_at(),
    info={"owner": "docgen"},
    comment="The latest property.enriched of each property, as docgen received it: "
    "the facts, photos, history and neighbourhood a packet shows.",
)

docgen_scores = sa.Table(
    "docgen_scores",
    metadata,
    sa.Column("score_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("property_id", sa.BigInteger, nullable=False),
    sa.Column("overall_score", sa.Float, nullable=False),
    sa.Column("score", JSONB, nullable=False),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
    _created_at(),
    sa.Index(None, "property_id", "score_id"),
    sa.Index(None, "overall_score"),
    info={"owner": "docgen"},
    comment="Each score.created as docgen received it (valuation, rent, returns, scores): "
    "what a packet, and a docgen.requested re-render, is written from.",
)

# --- gateway -----------------------------------------------------------------

pipeline_runs = sa.Table(
    "pipeline_runs",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("dag_id", sa.String(64), nullable=False),
    sa.Column("dag_run_id", sa.String(128), nullable=False, unique=True),
    sa.Column("execution_date", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    *_status("pipeline_runs", RUN_STATUSES, "queued"),
    sa.Column("conf", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("tasks_total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tasks_success", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tasks_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("duration_seconds", sa.Float),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _created_at(),
    _updated_at(),
    sa.Index(None, "dag_id", "execution_date"),
    # The newest runs of every pipeline, in the lists' order, without sorting every run.
    sa.Index(None, "execution_date", "id"),
    sa.Index(None, "status"),
    info={"owner": "gateway"},
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("key_prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("scopes", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    _created_at(),
    info={"owner": "gateway"},
)

dead_letter_replays = sa.Table(
    "dead_letter_replays",
    metadata,
    sa.Column("dead_letter_topic", sa.String(160), primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("offset", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("original_topic", sa.String(128), nullable=False),
    sa.Column("event_id", UUID(as_uuid=True)),
    sa.Column("replayed_by", sa.String(128), nullable=False),
    sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    info={"owner": "gateway"},
    comment="Each dead letter the gateway re-published to its original topic, so that a "
    "replay happens once per dead letter.",
)

# --- every consumer ----------------------------------------------------------

processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("service", sa.String(32), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("topic", sa.String(128), nullable=False),
    sa.Column("outputs", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    sa.Index(None, "processed_at"),
    info={"owner": "each consumer, its own rows (service = its name)"},
)
