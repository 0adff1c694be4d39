"""gateway: the runs indexed newest first across pipelines

The list of recent runs (every pipeline, newest first, ties by id) sorted every run on
each request (20,000 runs: 4 ms of PostgreSQL); the index gives its order.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 11:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pipeline_runs_execution_date_id", "pipeline_runs", ["execution_date", "id"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_runs_execution_date_id", table_name="pipeline_runs")
