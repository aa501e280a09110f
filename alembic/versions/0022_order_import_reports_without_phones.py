"""order_imports.problems: reports no longer repeat a phone number they refused

An order file's report named a bad phone with the number itself ("not a valid phone number:
'+90 532 ...'"). The report is kept with the import, in plain text and beyond any erasure, so
it now names only the row and the column; the reports already stored lose the numbers here,
one merchant at a time (row-level security binds the owner too).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BAD_PHONE = "not a valid phone number (check its digits and country code)"
# Python's repr quoted the number with ' (or " when it held a ').
SCRUB = sa.text(
    "UPDATE order_imports SET problems = regexp_replace(problems::text,"
    """ 'not a valid phone number: (''[^'']*''|\\\\"[^"]*\\\\")', :fixed, 'g')::jsonb"""
    " WHERE problems::text LIKE '%not a valid phone number: %'"
)


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', 'on', true)"))
    merchants = conn.execute(sa.text("SELECT id FROM merchants")).scalars().all()
    for merchant_id in merchants:
        conn.execute(
            sa.text("SELECT set_config('app.merchant_id', :id, true)"), {"id": str(merchant_id)}
        )
        conn.execute(SCRUB, {"fixed": BAD_PHONE})
    conn.execute(sa.text("SELECT set_config('app.merchant_id', '', true)"))
    conn.execute(sa.text("SELECT set_config('app.tenant_directory', '', true)"))


def downgrade() -> None:
    """The numbers are gone for good."""
