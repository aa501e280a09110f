"""tenant isolation: the application role and row-level security

Every tenant table gets FORCE ROW LEVEL SECURITY with a policy keyed on the transaction-local
setting `app.merchant_id`; an unset tenant matches no row. The application runs as a role that
owns nothing, is not a superuser and has no BYPASSRLS, so the policies bind it. Narrow extra
policies let a transaction that already knows a key find its row across tenants: a login
(`app.login_email`) and an API key (`app.api_key_hash`); the merchants table is a directory
that system jobs may list (`app.tenant_directory`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op
from recete_app.backend.config import get_settings

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (  # as of this revision; later tables enable RLS in their own migration
    "accounts",
    "analytics_events",
    "api_keys",
    "audit_log",
    "auth_sessions",
    "consent_events",
    "conversations",
    "customers",
    "external_events",
    "integrations",
    "knowledge_chunks",
    "messages",
    "order_items",
    "orders",
    "products",
    "scheduled_messages",
)


def _role() -> str:
    return '"' + get_settings().db_app_role.replace('"', '""') + '"'


def upgrade() -> None:
    role = _role()
    literal = get_settings().db_app_role.replace("'", "''")
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN
            CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$;
        """
    )
    # The migrating (owner) login switches to the application role on every app connection.
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT pg_has_role(current_user, '{literal}', 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', '{literal}', current_user);
          END IF;
        END $$;
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION recete_current_merchant() RETURNS uuid
        LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('app.merchant_id', true), '')::uuid $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {role}")
    op.execute(f"GRANT SELECT ON alembic_version TO {role}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"
    )

    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (merchant_id = recete_current_merchant()) "
            "WITH CHECK (merchant_id = recete_current_merchant())"
        )

    op.execute("ALTER TABLE merchants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE merchants FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON merchants "
        "USING (id = recete_current_merchant()) WITH CHECK (id = recete_current_merchant())"
    )
    op.execute(
        "CREATE POLICY tenant_directory ON merchants FOR SELECT "
        "USING (current_setting('app.tenant_directory', true) = 'on')"
    )
    op.execute(
        "CREATE POLICY login_lookup ON accounts FOR SELECT "
        "USING (email = nullif(current_setting('app.login_email', true), ''))"
    )
    op.execute(
        "CREATE POLICY key_lookup ON api_keys FOR SELECT "
        "USING (key_hash = nullif(current_setting('app.api_key_hash', true), ''))"
    )


def downgrade() -> None:
    role = _role()
    op.execute("DROP POLICY IF EXISTS key_lookup ON api_keys")
    op.execute("DROP POLICY IF EXISTS login_lookup ON accounts")
    op.execute("DROP POLICY IF EXISTS tenant_directory ON merchants")
    for table in (*TENANT_TABLES, "merchants"):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {role}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {role}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")
    op.execute("DROP FUNCTION IF EXISTS recete_current_merchant()")
