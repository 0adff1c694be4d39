"""Valuations belong to the scorer: estimate, band, rent and comparables on each score,
the scorer's own copy of the properties it scores; properties.estimated_value goes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORE_FIGURES = ("estimated_value", "value_low", "value_high", "monthly_rent_estimate", "cap_rate")


def upgrade() -> None:
    for name in SCORE_FIGURES:
        op.add_column("property_scores", sa.Column(name, sa.Float(), nullable=True))
    op.add_column(
        "property_scores",
        sa.Column(
            "comparables",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.drop_column("properties", "estimated_value")
    op.create_table(
        "scored_properties",
        sa.Column("property_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("prospect_id", sa.BigInteger(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("listing", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "enrichment",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_scored_properties")),
        comment="The latest property.enriched of each property, as the scorer received it: "
        "what scoring.requested re-scores, and the platform's own rentals and sales.",
        info={"owner": "scorer"},
    )
    op.create_index(
        op.f("ix_scored_properties_zip_code_status"),
        "scored_properties",
        ["zip_code", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scored_properties_zip_code_status"), table_name="scored_properties")
    op.drop_table("scored_properties")
    op.add_column("properties", sa.Column("estimated_value", sa.Float(), nullable=True))
    op.drop_column("property_scores", "comparables")
    for name in SCORE_FIGURES:
        op.drop_column("property_scores", name)
