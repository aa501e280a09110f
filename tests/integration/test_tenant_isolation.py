"""Row-level security holds even against raw SQL, on one pooled connection reused by merchants."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError

from recete_app.backend import db
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.models import TENANT_TABLES


@pytest.fixture()
def one_connection_engine(database_url: str) -> sa.Engine:
    engine = sa.create_engine(database_url, pool_size=1, max_overflow=0)
    db.install_app_role(engine, get_settings().db_app_role)
    return engine


def _merchant_with_product(engine: sa.Engine, name: str) -> uuid.UUID:
    merchant_id = uuid.uuid4()
    with session_scope(merchant_id, engine=engine) as s:
        s.execute(
            sa.text(
                "INSERT INTO merchants (id, name, default_language, timezone, settings)"
                " VALUES (:id, :name, 'en', 'UTC', '{}')"
            ),
            {"id": merchant_id, "name": name},
        )
        s.execute(
            sa.text(
                "INSERT INTO products (id, merchant_id, source, title, description, "
                "usage, ingredients, warnings, faq) VALUES (gen_random_uuid(), :m, "
                "'manual', :title, '', '', '', '', '[]')"
            ),
            {"m": merchant_id, "title": f"{name} serum"},
        )
    return merchant_id


def _backend_pid(engine: sa.Engine, merchant_id: uuid.UUID | None) -> int:
    with session_scope(merchant_id, engine=engine) as s:
        return int(s.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def test_app_role_is_bound_by_row_level_security(one_connection_engine: sa.Engine) -> None:
    with one_connection_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).one()
        owners = set(
            conn.execute(
                sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        forced: dict[str, bool] = dict(
            conn.execute(
                sa.text(
                    "SELECT relname, relforcerowsecurity AND relrowsecurity FROM pg_class "
                    "WHERE relname = ANY(:names)"
                ),
                {"names": [*TENANT_TABLES, "merchants"]},
            ).all()
        )
    assert row == (get_settings().db_app_role, False, False)
    assert row[0] not in owners
    assert forced == {name: True for name in [*TENANT_TABLES, "merchants"]}


def test_pooled_connection_never_carries_a_tenant_to_the_next_transaction(
    one_connection_engine: sa.Engine,
) -> None:
    a = _merchant_with_product(one_connection_engine, "Alpha")
    b = _merchant_with_product(one_connection_engine, "Beta")
    pids = {_backend_pid(one_connection_engine, m) for m in (a, b, None)}
    assert len(pids) == 1, "the test must reuse one server connection"

    with session_scope(engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM products")).scalar_one() == 0
        assert s.execute(sa.text("SELECT count(*) FROM merchants")).scalar_one() == 0
        assert s.execute(sa.text("SELECT current_setting('app.merchant_id', true)")).scalar() in (
            None,
            "",
        )

    with session_scope(a, engine=one_connection_engine) as s:
        titles = s.execute(sa.text("SELECT title FROM products")).scalars().all()
        assert titles == ["Alpha serum"]
        # Naming B's rows explicitly changes nothing: they are invisible.
        updated = s.execute(
            sa.text("UPDATE products SET title = 'hacked' WHERE merchant_id = :b RETURNING id"),
            {"b": b},
        ).all()
        deleted = s.execute(
            sa.text("DELETE FROM products WHERE merchant_id = :b RETURNING id"), {"b": b}
        ).all()
        assert (updated, deleted) == ([], [])

    with session_scope(b, engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT title FROM products")).scalars().all() == ["Beta serum"]


def test_writing_a_row_into_another_merchant_is_refused(one_connection_engine: sa.Engine) -> None:
    a = _merchant_with_product(one_connection_engine, "Alpha")
    b = _merchant_with_product(one_connection_engine, "Beta")
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        session_scope(a, engine=one_connection_engine) as s,
    ):
        s.execute(
            sa.text(
                "INSERT INTO products (id, merchant_id, source, title, description, "
                "usage, ingredients, warnings, faq) VALUES (gen_random_uuid(), :b, "
                "'manual', 'planted', '', '', '', '', '[]')"
            ),
            {"b": b},
        )
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        session_scope(a, engine=one_connection_engine) as s,
    ):
        s.execute(sa.text("UPDATE products SET merchant_id = :b"), {"b": b})
    with session_scope(b, engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT title FROM products")).scalars().all() == ["Beta serum"]


def test_a_session_wide_tenant_setting_cannot_be_smuggled_into_the_pool(
    one_connection_engine: sa.Engine,
) -> None:
    a = _merchant_with_product(one_connection_engine, "Alpha")
    _merchant_with_product(one_connection_engine, "Beta")
    with session_scope(a, engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM products")).scalar_one() == 1
    # A later transaction on the same connection, with no tenant, sees nothing.
    with session_scope(engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM products")).scalar_one() == 0


def _self_scoped_product_insert() -> sa.Executable:
    """A product insert in the shape of the webhook inbox's: values selected from the scope."""
    values = sa.select(
        sa.func.gen_random_uuid(),
        sa.cast(sa.bindparam("owner"), sa.Uuid),
        sa.literal_column("'manual'"),
        sa.literal_column("'self-scoped'"),
        *[sa.literal_column("''")] * 4,
        sa.literal_column("'[]'::jsonb"),
    ).select_from(db.tenant_scope_source())
    columns = [
        "id",
        "merchant_id",
        "source",
        "title",
        "description",
        "usage",
        "ingredients",
        "warnings",
        "faq",
    ]
    products = sa.table("products", *[sa.column(name) for name in columns])
    return sa.insert(products).from_select(columns, values).returning(products.c.id)


def test_a_self_scoped_statement_writes_as_its_tenant_and_leaves_nothing_behind(
    one_connection_engine: sa.Engine,
) -> None:
    a = _merchant_with_product(one_connection_engine, "Alpha")
    statement = _self_scoped_product_insert()
    db.execute_alone(
        statement, {"scope_merchant_id": str(a), "owner": a}, engine=one_connection_engine
    )
    with session_scope(a, engine=one_connection_engine) as s:
        titles = s.execute(sa.text("SELECT title FROM products ORDER BY title")).scalars().all()
    assert titles == ["Alpha serum", "self-scoped"]
    # The same pooled connection, next transaction: the statement's tenant is gone.
    with session_scope(engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM products")).scalar_one() == 0
        assert s.execute(sa.text("SELECT current_setting('app.merchant_id', true)")).scalar() in (
            None,
            "",
        )


def test_a_self_scoped_statement_cannot_write_into_another_merchant(
    one_connection_engine: sa.Engine,
) -> None:
    a = _merchant_with_product(one_connection_engine, "Alpha")
    b = _merchant_with_product(one_connection_engine, "Beta")
    with pytest.raises(ProgrammingError, match="row-level security"):
        db.execute_alone(
            _self_scoped_product_insert(),
            {"scope_merchant_id": str(a), "owner": b},
            engine=one_connection_engine,
        )
    with session_scope(b, engine=one_connection_engine) as s:
        assert s.execute(sa.text("SELECT title FROM products")).scalars().all() == ["Beta serum"]


def test_the_operators_counts_across_merchants_open_no_tenants_rows() -> None:
    """The metrics read every merchant's counts through `recete_work_state()`, which runs as
    the schema owner with `app.operations` on; the policy that lets it see every row is the
    owner's alone, so a tenant transaction that sets the same setting still sees its own rows."""
    from datetime import UTC, datetime, timedelta

    from tests.integration.journey_fixtures import deliver, new_merchant
    from tests.support import owner_sql

    first, second = new_merchant("a@isolation-ops.com"), new_merchant("b@isolation-ops.com")
    deliver(second, datetime.now(UTC) - timedelta(days=1), order="1", customer="c-1")
    owner_sql("UPDATE scheduled_messages SET due_at = now() - interval '1 minute'")
    with session_scope(first) as session:
        session.execute(sa.text("SELECT set_config('app.operations', 'on', true)"))
        seen = {
            table: session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("scheduled_messages", "external_events", "integrations")
        }
        due = session.execute(sa.text("SELECT outbox_due FROM recete_work_state()")).scalar_one()
        policies = "SELECT DISTINCT unnest(roles) FROM pg_policies WHERE policyname = 'operations'"
        roles = session.execute(sa.text(policies)).scalars().all()
    assert seen == {"scheduled_messages": 0, "external_events": 0, "integrations": 0}
    assert due == 2  # the function counts the other store's two due messages, as counts only
    assert get_settings().db_app_role not in roles and "public" not in roles
