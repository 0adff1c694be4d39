"""enricher: an index for the market figures; no planner statistics of JSON documents

The market figures of a ZIP (median $/sq ft and days on market of the homes for sale)
read a covering index of the homes for sale instead of every row of `properties`.

ANALYZE computed value histograms of whole JSON documents (event records, listings,
score components) that no query filters on: the most costly part of analysing the large
tables, for statistics the planner never uses. `properties.enrichment_sources` keeps its
statistics: the property search filters on it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT_COLUMNS = (
    ("processed_events", "outputs"),
    ("prospect_queue", "payload"),
    ("properties", "enrichment_data"),
    ("properties", "field_provenance"),
    ("properties", "source_listings"),
    ("enrichment_jobs", "fields_enriched"),
    ("enrichment_jobs", "data_sources_used"),
    ("property_scores", "score_components"),
    ("property_scores", "features_used"),
    ("property_scores", "comparables"),
)


def _statistics(target: int) -> None:
    for table, column in DOCUMENT_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {target}")


def upgrade() -> None:
    op.create_index(
        "ix_properties_for_sale_zip_code",
        "properties",
        ["zip_code"],
        postgresql_include=["price", "sqft", "list_date"],
        postgresql_where=sa.text("listing_type = 'for_sale'"),
    )
    _statistics(0)


def downgrade() -> None:
    _statistics(-1)
    op.drop_index("ix_properties_for_sale_zip_code", table_name="properties")
