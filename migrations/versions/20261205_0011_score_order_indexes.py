"""gateway: the score figures' indexes ordered by id after the figure

The scores list, the top properties and the property search's score sorts walk the scores
in the order of a figure, ties newest first (highest id), and stop after a page. With the
figure alone in the index, every score tied with the page's last one was read and sorted
too (a hundred or more when scores are rounded to a tenth); with the id after it, the
index's order is the whole order.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = ("overall_score", "cap_rate", "estimated_value")


def upgrade() -> None:
    for figure in FIGURES:
        op.create_index(f"ix_property_scores_{figure}_id", "property_scores", [figure, "id"])
        op.drop_index(f"ix_property_scores_{figure}", table_name="property_scores")


def downgrade() -> None:
    for figure in FIGURES:
        op.create_index(f"ix_property_scores_{figure}", "property_scores", [figure])
        op.drop_index(f"ix_property_scores_{figure}_id", table_name="property_scores")
