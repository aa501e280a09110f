from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from recete_app.backend import db
from recete_app.backend.migrations import current_head, upgrade_database
from recete_app.backend.models import metadata
from recete_app.backend.security.crypto import (
    decrypt_field,
    email_index,
    encrypt_field,
    phone_grams,
)
from recete_app.backend.security.fields import EMAIL, PHONE, WEBHOOK_BODY


def old_merchant(conn: sa.Connection, merchant_id: uuid.UUID) -> None:
    """A merchant stored before the migration under test, in scope for the transaction."""
    conn.execute(
        sa.text("SELECT set_config('app.merchant_id', :id, true)"), {"id": str(merchant_id)}
    )
    conn.execute(
        sa.text(
            "INSERT INTO merchants (id, name, default_language, timezone, settings, created_at)"
            " VALUES (:id, 'Old', 'en', 'UTC', '{}', now())"
        ),
        {"id": merchant_id},
    )


def test_schema_is_at_head_with_pgvector_and_every_table(database_url: str) -> None:
    with db.get_engine(owner=True).connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        extension = conn.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        ).scalar()
        tables = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        embedding_type = conn.execute(
            sa.text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'knowledge_chunks'::regclass AND attname = 'embedding'"
            )
        ).scalar()
    assert version == current_head()
    assert extension is not None
    assert set(metadata.tables) <= tables
    assert embedding_type == "vector"


def test_migrations_downgrade_to_nothing_and_upgrade_again(unmigrated_database: str) -> None:
    from alembic import command
    from recete_app.backend.migrations import alembic_config

    upgrade_database()
    command.downgrade(alembic_config(), "base")
    with db.get_engine(owner=True).connect() as conn:
        left = set(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    assert left == {"alembic_version"}
    upgrade_database()


def test_upgrading_fills_in_the_digit_grams_of_phones_stored_before(
    unmigrated_database: str,
) -> None:
    upgrade_database("0012")
    merchant_id = uuid.uuid4()
    phones = {
        uuid.uuid4(): encrypt_field("+905321234567", PHONE),
        uuid.uuid4(): encrypt_field("+447911123456", PHONE),
        uuid.uuid4(): "v1.gonekey.AAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # its key is no longer known
    }
    with db.get_engine(owner=True).begin() as conn:
        old_merchant(conn, merchant_id)
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, merchant_id, phone_encrypted, first_name, last_name,"
                " consent_state, created_at) VALUES (:id, :m, :phone, 'Ayşe', '', 'unknown', now())"
            ),
            [{"id": cid, "m": merchant_id, "phone": phone} for cid, phone in phones.items()],
        )
    upgrade_database()
    with db.get_engine(owner=True).connect() as conn:
        rows = conn.execute(sa.text("SELECT id, phone_grams FROM customers")).all()
    grams: dict[uuid.UUID, list[str] | None] = {row[0]: row[1] for row in rows}
    assert list(grams.values()).count(None) == 1  # the phone that no longer decrypts
    for customer_id, phone in [(c, p) for c, p in phones.items() if "gonekey" not in p]:
        assert grams[customer_id] == phone_grams(decrypt_field(phone, PHONE))


def test_upgrading_indexes_the_emails_stored_before(unmigrated_database: str) -> None:
    upgrade_database("0018")
    merchant_id, found, lost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    emails = {
        found: encrypt_field("Ayse.Yilmaz@Example.com", EMAIL),
        lost: "v1.gonekey.AAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # its key is no longer known
    }
    with db.get_engine(owner=True).begin() as conn:
        old_merchant(conn, merchant_id)
        conn.execute(
            sa.text(
                "INSERT INTO customers (id, merchant_id, email_encrypted, first_name, last_name,"
                " consent_state, created_at) VALUES (:id, :m, :email, 'Ayşe', '', 'unknown', now())"
            ),
            [{"id": cid, "m": merchant_id, "email": email} for cid, email in emails.items()],
        )
    upgrade_database()
    with db.get_engine(owner=True).connect() as conn:
        rows: dict[object, object] = dict(
            conn.execute(sa.text("SELECT id, email_index FROM customers")).all()
        )
    assert rows == {found: email_index("ayse.yilmaz@example.com"), lost: None}


def test_upgrading_takes_refused_phone_numbers_out_of_stored_import_reports(
    unmigrated_database: str,
) -> None:
    upgrade_database("0021")
    merchant_id = uuid.uuid4()
    problems = [
        {"row": 6, "field": "billing phone", "problem": "not a valid phone number: '12345'"},
        {"row": 7, "field": "phone", "problem": """not a valid phone number: "0'532 111" """},
        {"row": 8, "field": "created at", "problem": "not a date: 'yesterday'"},
    ]
    with db.get_engine(owner=True).begin() as conn:
        old_merchant(conn, merchant_id)
        conn.execute(
            sa.text(
                "INSERT INTO order_imports (id, merchant_id, filename, actor, status, format,"
                " size_bytes, rows_read, orders_imported, orders_skipped, problem_count,"
                " problems, created_at) VALUES (:id, :m, 'o.csv', 'a', 'done', 'generic',"
                " 1, 3, 0, 3, 3, CAST(:p AS jsonb), now())"
            ),
            {"id": uuid.uuid4(), "m": merchant_id, "p": json.dumps(problems)},
        )
    upgrade_database()
    with db.get_engine(owner=True).connect() as conn:
        stored = conn.execute(sa.text("SELECT problems FROM order_imports")).scalar_one()
    fixed = "not a valid phone number (check its digits and country code)"
    assert [p["problem"] for p in stored] == [fixed, fixed + " ", "not a date: 'yesterday'"]


def test_upgrading_keeps_existing_api_keys_working_and_caps_their_lifetime(
    unmigrated_database: str,
) -> None:
    upgrade_database("0014")
    merchant_id = uuid.uuid4()
    # name -> (expires in days, revoked)
    keys = {"forever": (None, False), "decade": (3650, False), "month": (30, False)}
    keys["revoked"] = (None, True)
    with db.get_engine(owner=True).begin() as conn:
        old_merchant(conn, merchant_id)
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (id, merchant_id, name, prefix, key_hash, expires_at,"
                " revoked_at) VALUES (gen_random_uuid(), :m, :name, 'gg_live_x', :hash,"
                " now() + make_interval(days => :days), CASE WHEN :revoked THEN now() END)"
            ),
            [
                {"m": merchant_id, "name": name, "hash": name, "days": days, "revoked": revoked}
                for name, (days, revoked) in keys.items()
            ],
        )
    upgrade_database()
    with db.get_engine(owner=True).connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT name, scopes, round(extract(epoch FROM expires_at - now()) / 86400)"
                " FROM api_keys"
            )
        ).all()
    after = {name: (scopes, days) for name, scopes, days in rows}
    assert {name: scopes for name, (scopes, _) in after.items()} == {
        name: ["admin", "orders:write"] for name in keys
    }
    assert {name: days for name, (_, days) in after.items()} == {
        "forever": 365,
        "decade": 365,
        "month": 30,
        "revoked": None,
    }


def test_upgrading_seals_stored_webhook_bodies_and_scopes_shopify_ids_per_shop(
    unmigrated_database: str,
) -> None:
    upgrade_database("0015")
    merchant_id, integration_id = uuid.uuid4(), uuid.uuid4()
    body = '{"phone": "+905321112233"}'
    with db.get_engine(owner=True).begin() as conn:
        old_merchant(conn, merchant_id)
        conn.execute(
            sa.text(
                "INSERT INTO integrations (id, merchant_id, kind, external_id, display_name,"
                " settings, status, created_at, updated_at) VALUES (:id, :m, 'shopify',"
                " 'old.myshopify.com', '', '{}', 'active', now(), now())"
            ),
            {"id": integration_id, "m": merchant_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO external_events (id, merchant_id, integration_id, provider,"
                " external_id, topic, raw_body, headers, status, attempts, received_at)"
                " VALUES (gen_random_uuid(), :m, :i, :provider, :ext, 'orders/create', :body,"
                " '{}', 'processed', 1, now())"
            ),
            [
                {"m": merchant_id, "i": integration_id, "provider": p, "ext": e, "body": body}
                for p, e in (("shopify", "wh-1"), ("api", f"{merchant_id}:a-1"))
            ],
        )
    upgrade_database()
    with db.get_engine(owner=True).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT provider, external_id, raw_body FROM external_events ORDER BY 1")
        ).all()
    assert [(p, e) for p, e, _ in rows] == [
        ("api", f"{merchant_id}:a-1"),
        ("shopify", f"{integration_id}:wh-1"),
    ]
    for _, _, sealed in rows:
        assert sealed.startswith("v1.") and decrypt_field(sealed, WEBHOOK_BODY) == body


def test_models_and_migrations_describe_the_same_schema(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.get_engine(owner=True).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


# Foreign keys whose parent rows are practically never deleted (people's accounts, a store's
# integration): a scan of the referring table on those rare deletes is acceptable.
UNINDEXED_ON_PURPOSE = {
    ("api_keys", "created_by"),
    ("conversations", "assigned_account_id"),
    ("external_events", "integration_id"),
    ("scheduled_messages", "step_id"),
}


def test_every_foreign_key_a_delete_follows_is_indexed(database_url: str) -> None:
    """Deleting a parent row looks up its children by the referring column: without an index
    that is a scan per deleted row (100,000 messages took minutes to delete)."""
    query = sa.text(
        "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1 AND NOT EXISTS ("
        "SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])"
    )
    with db.get_engine(owner=True).connect() as conn:
        unindexed = {(str(table), str(column)) for table, column in conn.execute(query)}
    assert unindexed == UNINDEXED_ON_PURPOSE


def test_no_index_repeats_the_leading_columns_of_another(database_url: str) -> None:
    """An index whose columns lead another index of the table serves no read the longer one
    cannot, and every write that is not a HOT update pays for both (a journey message's row is
    updated three or four times on its way out)."""
    query = sa.text(
        "SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text FROM pg_index a "
        "JOIN pg_index b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid "
        "JOIN pg_class t ON t.oid = a.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = 'public' AND NOT a.indisunique AND a.indpred IS NULL "
        "AND a.indexprs IS NULL AND b.indpred IS NULL AND b.indexprs IS NULL "
        "AND (SELECT amname FROM pg_am JOIN pg_class c ON c.relam = pg_am.oid "
        "     WHERE c.oid = a.indexrelid) = 'btree' "
        "AND (SELECT amname FROM pg_am JOIN pg_class c ON c.relam = pg_am.oid "
        "     WHERE c.oid = b.indexrelid) = 'btree' "
        "AND a.indnatts < b.indnatts "
        "AND (b.indkey::int2[])[0:a.indnatts - 1] = (a.indkey::int2[])[0:a.indnatts - 1]"
    )
    with db.get_engine(owner=True).connect() as conn:
        repeated = sorted((str(short), str(long)) for short, long in conn.execute(query))
    assert repeated == [], "\n".join(f"{short} < {long}" for short, long in repeated)
