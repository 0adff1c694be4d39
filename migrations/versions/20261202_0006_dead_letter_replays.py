"""dead_letter_replays: the dead letters the gateway re-published, each replayed once

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letter_replays",
        sa.Column("dead_letter_topic", sa.String(length=160), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("original_topic", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("replayed_by", sa.String(length=128), nullable=False),
        sa.Column(
            "replayed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "dead_letter_topic", "partition", "offset", name=op.f("pk_dead_letter_replays")
        ),
        comment="Each dead letter the gateway re-published to its original topic, so that a "
        "replay happens once per dead letter.",
        info={"owner": "gateway"},
    )


def downgrade() -> None:
    op.drop_table("dead_letter_replays")
