"""external_events: bodies encrypted at rest, Shopify webhook ids per shop

Stored webhook bodies kept phones, emails and addresses in plain text, and a customer's or a
shop's erasure left them there while the README said phones and emails were encrypted. Bodies
are now sealed with the same AES-256-GCM field encryption as customers' phones (context
`external_events.raw_body`, key id kept, re-encrypted by `recete keys rotate`); the bodies
already stored are sealed here, page by page, one merchant at a time (row-level security binds
the owner too, as in 0013).

Shopify's webhook ids were unique across all merchants: a second shop's webhook whose id another
shop had used was answered "duplicate" and dropped. They are now kept as
`<integration id>:<webhook id>`, as WooCommerce's delivery ids already were; the ids stored are
rewritten so that a redelivery of an old webhook is still known.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 1000
CONTEXT = "external_events.raw_body"


def upgrade() -> None:
    _per_merchant(op.get_bind(), _upgrade_merchant)


def downgrade() -> None:
    _per_merchant(op.get_bind(), _downgrade_merchant)


def _per_merchant(conn: sa.Connection, change: Callable[[sa.Connection], None]) -> None:
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', 'on', true)"))
    merchants = conn.execute(sa.text("SELECT id FROM merchants")).scalars().all()
    for merchant_id in merchants:
        conn.execute(
            sa.text("SELECT set_config('app.merchant_id', :id, true)"), {"id": str(merchant_id)}
        )
        change(conn)
    conn.execute(sa.text("SELECT set_config('app.merchant_id', '', true)"))
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', '', true)"))


def _upgrade_merchant(conn: sa.Connection) -> None:
    from recete_app.backend.security.crypto import encrypt_field

    conn.execute(
        sa.text(
            "UPDATE external_events SET external_id = integration_id::text || ':' || external_id"
            " WHERE provider = 'shopify' AND integration_id IS NOT NULL"
            " AND external_id NOT LIKE integration_id::text || ':%'"
        )
    )
    _rewrite_bodies(conn, "raw_body NOT LIKE 'v1.%'", lambda body: encrypt_field(body, CONTEXT))


def _downgrade_merchant(conn: sa.Connection) -> None:
    from recete_app.backend.security.crypto import decrypt_field

    conn.execute(
        sa.text(
            "UPDATE external_events SET external_id = substr(external_id,"
            " length(integration_id::text) + 2)"
            " WHERE provider = 'shopify' AND external_id LIKE integration_id::text || ':%'"
        )
    )
    _rewrite_bodies(conn, "raw_body LIKE 'v1.%'", lambda body: decrypt_field(body, CONTEXT))


def _rewrite_bodies(conn: sa.Connection, which: str, rewrite: Callable[[str], str]) -> None:
    """PAGE bodies at a time in id order: a merchant's millions of events are never all held."""
    after = None
    while True:
        page = conn.execute(
            sa.text(
                f"SELECT id, raw_body FROM external_events WHERE {which}"
                " AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid))"
                " ORDER BY id LIMIT :page"
            ),
            {"after": after, "page": PAGE},
        ).all()
        if not page:
            return
        conn.execute(
            sa.text("UPDATE external_events SET raw_body = :body WHERE id = :id"),
            [{"id": event_id, "body": rewrite(body)} for event_id, body in page],
        )
        after = str(page[-1][0])
