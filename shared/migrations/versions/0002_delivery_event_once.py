"""a status callback is recorded once: unique (provider_id, status) on delivery_event

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Repeats stored before the constraint: keep the first of each (provider_id, status).
    op.execute(
        "DELETE FROM delivery_event WHERE id NOT IN "
        "(SELECT MIN(id) FROM delivery_event GROUP BY provider_id, status)"
    )
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_delivery_event_sid_status", ["provider_id", "status"])


def downgrade() -> None:
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_delivery_event_sid_status", type_="unique")
