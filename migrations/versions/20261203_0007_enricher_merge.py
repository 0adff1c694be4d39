"""enricher: one property per home across sources (per-field provenance, each source's
listing, merge history), address kind, location precision, county and tract; geocode cache

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_OBJECT = sa.text("'{}'::jsonb")


def upgrade() -> None:
    for column in (
        sa.Column("address_kind", sa.String(length=16), server_default="street", nullable=False),
        sa.Column("list_date", sa.Date(), nullable=True),
        sa.Column("location_precision", sa.String(length=16), nullable=True),
        sa.Column("county_fips", sa.String(length=5), nullable=True),
        sa.Column("census_tract", sa.String(length=11), nullable=True),
        sa.Column(
            "field_provenance",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=JSON_OBJECT,
            nullable=False,
        ),
        sa.Column(
            "source_listings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=JSON_OBJECT,
            nullable=False,
        ),
    ):
        op.add_column("properties", column)
    op.create_table(
        "property_field_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("property_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=256), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"],
            name=op.f("fk_property_field_history_property_id_properties"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_field_history")),
        sa.UniqueConstraint(
            "event_id", "property_id", "field",
            name=op.f("uq_property_field_history_event_id_property_id_field"),
        ),
        info={"owner": "enricher"},
    )  # fmt: skip
    op.create_index(
        op.f("ix_property_field_history_property_id"), "property_field_history", ["property_id"]
    )
    op.create_index(
        op.f("ix_property_field_history_field_recorded_at"),
        "property_field_history",
        ["field", "recorded_at"],
    )
    op.create_table(
        "geocode_cache",
        sa.Column("address_key", sa.String(length=320), nullable=False),
        sa.Column("match", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "geocoded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("address_key", name=op.f("pk_geocode_cache")),
        info={"owner": "enricher"},
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("geocode_cache")
    op.drop_index(op.f("ix_property_field_history_field_recorded_at"), "property_field_history")
    op.drop_index(op.f("ix_property_field_history_property_id"), "property_field_history")
    op.drop_table("property_field_history")
    for name in (
        "source_listings",
        "field_provenance",
        "census_tract",
        "county_fips",
        "location_precision",
        "list_date",
        "address_kind",
    ):
        op.drop_column("properties", name)
