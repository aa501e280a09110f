"""customers.email_index: find a customer by their email without decrypting every email

The Customers page and GET /api/customers search by a whole email. Emails are stored
encrypted, so each now carries a blind index (an HMAC of the lower-cased address, prefixed so it
never equals a phone's index), kept beside the store in one index: equality on text is
leakproof, so PostgreSQL uses it under row-level security.

The emails already stored are indexed here, one merchant at a time (row-level security binds
the owner too), with this deployment's keys. An email that does not decrypt (its key is gone)
gets no index: it could not be shown either.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 5000


def upgrade() -> None:
    op.add_column("customers", sa.Column("email_index", sa.String(length=64), nullable=True))
    op.create_index("ix_customers_email", "customers", ["merchant_id", "email_index"])
    _fill(op.get_bind())


def _fill(conn: sa.Connection) -> None:
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', 'on', true)"))
    merchants = conn.execute(sa.text("SELECT id FROM merchants")).scalars().all()
    for merchant_id in merchants:
        conn.execute(
            sa.text("SELECT set_config('app.merchant_id', :id, true)"), {"id": str(merchant_id)}
        )
        _fill_merchant(conn)
    conn.execute(sa.text("SELECT set_config('app.merchant_id', '', true)"))
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', '', true)"))


def _fill_merchant(conn: sa.Connection) -> None:
    """The merchant's emails PAGE at a time, in id order."""
    from recete_app.backend.security.crypto import DecryptionError, decrypt_field, email_index
    from recete_app.backend.security.fields import EMAIL

    after = None
    while True:
        page = conn.execute(
            sa.text(
                "SELECT id, email_encrypted FROM customers WHERE email_encrypted IS NOT NULL"
                " AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid))"
                " ORDER BY id LIMIT :page"
            ),
            {"after": after, "page": PAGE},
        ).all()
        if not page:
            return
        filled = []
        for customer_id, encrypted in page:
            try:
                filled.append(
                    {"id": customer_id, "index": email_index(decrypt_field(encrypted, EMAIL))}
                )
            except DecryptionError:
                continue
        if filled:
            conn.execute(
                sa.text("UPDATE customers SET email_index = :index WHERE id = :id"), filled
            )
        after = str(page[-1][0])


def downgrade() -> None:
    op.drop_index("ix_customers_email", table_name="customers")
    op.drop_column("customers", "email_index")
