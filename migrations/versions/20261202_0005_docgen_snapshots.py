"""docgen's own copies of property.enriched and score.created, so that a packet is
written from docgen's tables and a docgen.requested re-renders without another service

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "docgen_properties",
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
        sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_docgen_properties")),
        comment="The latest property.enriched of each property, as docgen received it: "
        "the facts, photos, history and neighbourhood a packet shows.",
        info={"owner": "docgen"},
    )
    op.create_table(
        "docgen_scores",
        sa.Column("score_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("property_id", sa.BigInteger(), nullable=False),
        sa.Column("overall_score", sa.Float(), nullable=False),
        sa.Column("score", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_event_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("score_id", name=op.f("pk_docgen_scores")),
        comment="Each score.created as docgen received it (valuation, rent, returns, scores): "
        "what a packet, and a docgen.requested re-render, is written from.",
        info={"owner": "docgen"},
    )
    op.create_index(
        op.f("ix_docgen_scores_property_id_score_id"),
        "docgen_scores",
        ["property_id", "score_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_docgen_scores_overall_score"), "docgen_scores", ["overall_score"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_docgen_scores_overall_score"), table_name="docgen_scores")
    op.drop_index(op.f("ix_docgen_scores_property_id_score_id"), table_name="docgen_scores")
    op.drop_table("docgen_scores")
    op.drop_table("docgen_properties")
