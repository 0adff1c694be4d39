"""gateway: indexes for the property search (cities in any case, scores by cap rate, value)

The search matches cities in any letter case and walks the latest scores in the order of
the figure it sorts on (the overall score has its index already).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORE_INDEXES = (
    ("ix_property_scores_cap_rate", "cap_rate"),
    ("ix_property_scores_estimated_value", "estimated_value"),
)


def upgrade() -> None:
    op.create_index("ix_properties_lower_city", "properties", [sa.text("lower(city)")])
    for name, column in SCORE_INDEXES:
        op.create_index(name, "property_scores", [column])


def downgrade() -> None:
    for name, _ in SCORE_INDEXES:
        op.drop_index(name, table_name="property_scores")
    op.drop_index("ix_properties_lower_city", table_name="properties")
