"""customers.phone_grams: find a part of a number without decrypting every phone

The inbox's search for part of a number ("4567", "532 123") decrypted the phone of every
customer with a conversation on every search. Each phone now carries the truncated HMACs of its
runs of four digits (security/crypto.py `digit_grams`); a search decrypts only the few
customers whose phones have all the grams of what was typed. No index: under row-level security
PostgreSQL will not use one for `@>` (not a leakproof operator) ahead of the tenant filter, so
the grams are compared in the scan of the merchant's customers, in C rather than in Python.

The existing phones are filled in here, one merchant at a time (row-level security binds the
owner too), with this deployment's keys. A phone that does not decrypt (its key is gone)
keeps no grams: it could not be shown in the inbox either.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 5000


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("phone_grams", postgresql.ARRAY(sa.String(3)), nullable=True),
    )
    _fill_grams(op.get_bind())


def _fill_grams(conn: sa.Connection) -> None:
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
    """The merchant's phones PAGE at a time, in id order: a store of a million customers is
    never held in memory at once."""
    from recete_app.backend.security.crypto import DecryptionError, decrypt_field, phone_grams
    from recete_app.backend.security.fields import PHONE

    after = None
    while True:
        page = conn.execute(
            sa.text(
                "SELECT id, phone_encrypted FROM customers WHERE phone_encrypted IS NOT NULL"
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
                    {"id": customer_id, "grams": phone_grams(decrypt_field(encrypted, PHONE))}
                )
            except DecryptionError:
                continue
        if filled:
            conn.execute(
                sa.text("UPDATE customers SET phone_grams = :grams WHERE id = :id"), filled
            )
        after = str(page[-1][0])


def downgrade() -> None:
    op.drop_column("customers", "phone_grams")
