"""api_keys.scopes: a key may do only what it was given, and no key lives forever

Every API key could do everything its merchant's owner could: a one-day key could create a key
that never expires, revoke the account's other keys and reply to customers, and a key made for
the generic order API (POST /webhooks/commerce/api) opened the whole REST API. Keys now carry
scopes: `orders:write` (the order API, the default for new keys and the column's default) and
`admin` (the REST API too). Creating and revoking keys takes a signed-in person whatever the
key's scopes, and a key's lifetime is capped by RECETE_API_KEY_MAX_EXPIRY_DAYS.

The keys that exist were made when a key meant everything, and some are in use by integrations
nobody would notice breaking until orders stop arriving: they keep working, with `admin` and
`orders:write` (all a key can still do). The merchant sees the scopes on the Integrations page
and can replace a key with a narrower one.

Their lifetime is capped like a new key's, counted from this upgrade: an active key that never
expired, or expired after the cap, now expires RECETE_API_KEY_MAX_EXPIRY_DAYS (365 by default)
from today. A year's notice, shown on the Integrations page, rather than a leaked key that works
forever; revoked keys are left as they are. The downgrade drops the scopes but keeps the new
expiry dates: which keys had none is not recorded, and a date is the safer of the two.

Row-level security binds the owner too, so the expiry dates are set one merchant at a time, as in
0013; api_keys holds a handful of rows per merchant.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows take the default given at ADD COLUMN: no UPDATE, no row-level security.
    op.add_column(
        "api_keys",
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(32)),
            nullable=False,
            server_default=sa.text("'{admin,orders:write}'"),
        ),
    )
    op.alter_column("api_keys", "scopes", server_default=sa.text("'{orders:write}'"))
    _cap_expiry(op.get_bind())


def _cap_expiry(conn: sa.Connection) -> None:
    from recete_app.backend.config import get_settings

    days = get_settings().api_key_max_expiry_days
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', 'on', true)"))
    merchants = conn.execute(sa.text("SELECT id FROM merchants")).scalars().all()
    for merchant_id in merchants:
        conn.execute(
            sa.text("SELECT set_config('app.merchant_id', :id, true)"), {"id": str(merchant_id)}
        )
        conn.execute(
            sa.text(
                "UPDATE api_keys SET expires_at = now() + make_interval(days => :days) "
                "WHERE revoked_at IS NULL "
                "AND (expires_at IS NULL OR expires_at > now() + make_interval(days => :days))"
            ),
            {"days": days},
        )
    conn.execute(sa.text("SELECT set_config('app.merchant_id', '', true)"))
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', '', true)"))


def downgrade() -> None:
    op.drop_column("api_keys", "scopes")
