"""the agent: escalation and the agent's lease on conversations, paused proactive messages,
model calls, the queue of customers' messages awaiting the agent

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("conversations", sa.Column("escalation_reason", sa.String(40), nullable=True))
    op.add_column("conversations", sa.Column("escalated_at", _TZ, nullable=True))
    op.add_column("conversations", sa.Column("agent_lease_until", _TZ, nullable=True))
    op.add_column("customers", sa.Column("proactive_paused_at", _TZ, nullable=True))
    op.add_column("customers", sa.Column("proactive_paused_reason", sa.String(), nullable=True))
    op.create_index(
        "ix_messages_awaiting_agent",
        "messages",
        ["conversation_id", "created_at"],
        postgresql_where=sa.text("direction = 'inbound' AND status = 'received'"),
    )
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", _TZ, server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_llm_calls_merchant_id", "llm_calls", ["merchant_id"])
    op.create_index("ix_llm_calls_merchant_time", "llm_calls", ["merchant_id", "created_at"])
    op.execute("ALTER TABLE llm_calls ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE llm_calls FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON llm_calls "
        "USING (merchant_id = recete_current_merchant()) "
        "WITH CHECK (merchant_id = recete_current_merchant())"
    )
    # The sweeper finds conversations whose messages wait for the agent, across merchants.
    op.execute(
        "CREATE POLICY dispatcher ON messages FOR SELECT "
        "USING (current_setting('app.dispatcher', true) = 'on')"
    )
    op.execute(
        "CREATE POLICY dispatcher ON conversations FOR SELECT "
        "USING (current_setting('app.dispatcher', true) = 'on')"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS dispatcher ON conversations")
    op.execute("DROP POLICY IF EXISTS dispatcher ON messages")
    op.drop_table("llm_calls")
    op.drop_index("ix_messages_awaiting_agent", table_name="messages")
    op.drop_column("customers", "proactive_paused_reason")
    op.drop_column("customers", "proactive_paused_at")
    op.drop_column("conversations", "agent_lease_until")
    op.drop_column("conversations", "escalated_at")
    op.drop_column("conversations", "escalation_reason")
