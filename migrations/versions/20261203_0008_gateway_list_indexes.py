"""gateway: indexes for the job lists filtered by status and source, newest first

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_scraping_jobs_status_created_at", "scraping_jobs", ["status", "created_at"]),
    (
        "ix_scraping_jobs_source_status_created_at",
        "scraping_jobs",
        ["source", "status", "created_at"],
    ),
    ("ix_enrichment_jobs_status_created_at", "enrichment_jobs", ["status", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
