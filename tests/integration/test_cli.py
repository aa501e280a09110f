"""The `recete` command against the test database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from recete_app.backend import db
from recete_app.backend.accounts.api_keys import authenticate_key
from recete_app.backend.commerce import catalogue
from recete_app.backend.commerce.woocommerce.client import WooCommerceError
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.intake.events import event_payload, store_event
from recete_app.backend.models import Customer, ExternalEvent, Integration
from recete_app.backend.security import fields
from recete_app.backend.security.crypto import blind_index, decrypt_field, encrypt_field, key_id_of
from recete_app.backend.security.fields import INTEGRATION_SECRETS, PHONE
from recete_app.backend.security.keys import FIELD_ENCRYPTION, current_key
from recete_app.cli import main
from tests.support import owner_sql


def _create_merchant(capsys: pytest.CaptureFixture[str], email: str = "cli@glowskin.com") -> str:
    assert (
        main(
            [
                "merchant",
                "create",
                "--name",
                "CLI Store",
                "--email",
                email,
                "--password",
                "correct horse battery",
            ]
        )
        == 0
    )
    return capsys.readouterr().out.strip()


def test_merchant_create_prints_the_new_merchant_id(capsys: pytest.CaptureFixture[str]) -> None:
    merchant_id = uuid.UUID(_create_merchant(capsys))
    with session_scope(merchant_id) as s:
        assert s.execute(sa.text("SELECT name FROM merchants")).scalar_one() == "CLI Store"


def test_merchant_create_refuses_a_duplicate_email(capsys: pytest.CaptureFixture[str]) -> None:
    _create_merchant(capsys)
    assert (
        main(
            [
                "merchant",
                "create",
                "--name",
                "Again",
                "--email",
                "cli@glowskin.com",
                "--password",
                "correct horse battery",
            ]
        )
        == 1
    )
    assert "already exists" in capsys.readouterr().err


def test_api_key_create_prints_a_working_key_once(capsys: pytest.CaptureFixture[str]) -> None:
    merchant_id = uuid.UUID(_create_merchant(capsys))
    assert main(["api-key", "create", "--merchant", "cli@glowskin.com", "--expires-days", "7"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("gg_live_")
    assert "not shown again" in out.err and "scopes orders:write" in out.err
    principal = authenticate_key(key)
    assert principal.merchant_id == merchant_id
    assert principal.scopes == {"orders:write"}


def test_api_key_create_grants_the_scopes_asked_for_and_caps_the_expiry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _create_merchant(capsys)
    command = ["api-key", "create", "--merchant", "cli@glowskin.com", "--scope", "admin"]
    assert main([*command, "--scope", "orders:write"]) == 0
    out = capsys.readouterr()
    assert "scopes orders:write admin" in out.err
    assert authenticate_key(out.out.strip()).scopes == {"orders:write", "admin"}
    expires = owner_sql("SELECT expires_at - created_at > interval '364 days' FROM api_keys")
    assert expires == [(True,)]
    assert main([*command, "--expires-days", "366"]) == 1
    assert "expires_days must be between 1 and 365" in capsys.readouterr().err


def test_api_key_create_for_an_unknown_email_fails_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["api-key", "create", "--merchant", "ghost@glowskin.com"]) == 1
    assert "No account with email ghost@glowskin.com" in capsys.readouterr().err


def test_worker_without_redis_explains_the_embedded_runtime(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["worker"]) == 2
    assert "needs RECETE_REDIS_URL" in capsys.readouterr().err


@pytest.fixture()
def restore_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()


def test_keys_rotate_reencrypts_values_and_refreshes_blind_indexes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, restore_settings: None
) -> None:
    merchant_id = uuid.UUID(_create_merchant(capsys))
    phone = "+905321234567"
    with session_scope(merchant_id) as s:
        s.add(
            Customer(
                merchant_id=merchant_id,
                phone_encrypted=encrypt_field(phone, PHONE),
                phone_index=blind_index(phone),
            )
        )
        s.add(
            Integration(
                merchant_id=merchant_id,
                kind="shopify",
                external_id="glow.myshopify.com",
                secrets=encrypt_field('{"token": "shpat_1"}', INTEGRATION_SECRETS),
            )
        )
    for external_id in ("e-1", "e-2"):
        store_event(
            merchant_id,
            provider="api",
            external_id=external_id,
            topic="t",
            raw_body="{}",
            headers={},
        )
    monkeypatch.setattr(fields, "PAGE", 1)  # every row its own page: the paging is read too
    old_secret = get_settings().root_secret()
    monkeypatch.setenv("RECETE_SECRET_KEY", "rotated-root-secret-" + "n" * 40)
    monkeypatch.setenv("RECETE_PREVIOUS_SECRET_KEYS", old_secret)
    get_settings.cache_clear()

    assert main(["keys", "rotate"]) == 0
    assert "re-encrypted 5 value(s)" in capsys.readouterr().out
    new_key_id = current_key(FIELD_ENCRYPTION).key_id
    with session_scope(merchant_id) as s:
        customer = s.exec(sa.select(Customer)).scalars().one()  # type: ignore[call-overload]
        integration = s.exec(sa.select(Integration)).scalars().one()  # type: ignore[call-overload]
        assert key_id_of(customer.phone_encrypted) == new_key_id
        assert decrypt_field(customer.phone_encrypted, PHONE) == phone
        assert customer.phone_index == blind_index(phone)
        assert decrypt_field(integration.secrets, INTEGRATION_SECRETS) == '{"token": "shpat_1"}'
        events = s.exec(sa.select(ExternalEvent)).scalars().all()  # type: ignore[call-overload]
        assert len(events) == 2
        for event in events:
            assert key_id_of(event.raw_body) == new_key_id and event_payload(event) == {}
    assert main(["keys", "rotate"]) == 0
    assert "re-encrypted 0 value(s)" in capsys.readouterr().out
    db.get_engine()  # engines survive the settings change


def test_integration_add_stores_secrets_encrypted_and_prints_the_webhook_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recete_app.backend.integrations import find_integration, read_secrets

    _create_merchant(capsys)
    assert (
        main(
            [
                "integration",
                "add",
                "shopify",
                "--merchant",
                "cli@glowskin.com",
                "--shop",
                "https://Glow-Skin.myshopify.com/",
                "--access-token",
                "shpat_abc",
                "--api-secret",
                "shpss_xyz",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert "webhook URL: http://localhost:3000/webhooks/commerce/shopify" in out.err
    row = find_integration("shopify", "glow-skin.myshopify.com")
    assert row is not None and str(row.id) == out.out.strip()
    assert "shpat_abc" not in (row.secrets or "")
    assert read_secrets(row) == {"access_token": "shpat_abc", "api_secret": "shpss_xyz"}


def _add_woocommerce(*rest: str) -> int:
    command = ["integration", "add", "woocommerce", "--merchant", "cli@glowskin.com"]
    return main([*command, "--url", "https://shop.example.com", "--secret", "wc-secret", *rest])


def test_integration_add_woocommerce_with_rest_keys_imports_the_catalogue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    merchant_id = _create_merchant(capsys)
    imported: list[tuple[str, str]] = []

    def import_store(merchant: uuid.UUID, integration: uuid.UUID) -> int:
        imported.append((str(merchant), str(integration)))
        return 7

    monkeypatch.setattr(catalogue, "import_catalogue", import_store)
    assert _add_woocommerce("--consumer-key", "ck_1", "--consumer-secret", "cs_1") == 0
    out = capsys.readouterr()
    assert imported == [(merchant_id, out.out.strip())]
    assert "imported 7 product(s)" in out.err


def test_integration_add_keeps_the_store_and_fails_when_its_catalogue_cannot_be_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from recete_app.backend.integrations import find_integration

    _create_merchant(capsys)

    def refused(merchant: uuid.UUID, integration: uuid.UUID) -> int:
        raise WooCommerceError("Sorry, you cannot list resources.", 401)

    monkeypatch.setattr(catalogue, "import_catalogue", refused)
    assert _add_woocommerce("--consumer-key", "ck_1", "--consumer-secret", "cs_1") == 1
    err = capsys.readouterr().err
    assert "catalogue import failed: Sorry, you cannot list resources." in err
    assert find_integration("woocommerce", "https://shop.example.com") is not None


def test_integration_add_woocommerce_without_rest_keys_imports_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _create_merchant(capsys)
    imported: list[uuid.UUID] = []
    monkeypatch.setattr(catalogue, "import_catalogue", lambda *ids: imported.append(ids[1]))
    assert _add_woocommerce() == 0
    assert imported == [] and "imported" not in capsys.readouterr().err


def test_integration_add_refuses_a_bad_shop_domain(capsys: pytest.CaptureFixture[str]) -> None:
    _create_merchant(capsys)
    assert (
        main(
            [
                "integration",
                "add",
                "shopify",
                "--merchant",
                "cli@glowskin.com",
                "--shop",
                "glow.example.com",
                "--access-token",
                "t",
            ]
        )
        == 1
    )
    assert "not a Shopify shop domain" in capsys.readouterr().err


def test_a_command_on_an_unmigrated_database_says_to_upgrade_and_creates_nothing(
    unmigrated_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "no schema yet: run `recete db upgrade`" in err
    with db.get_engine(owner=True).connect() as conn:
        tables = conn.execute(
            sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        ).scalar()
    assert tables == 0


def test_readiness_reports_a_database_without_schema(unmigrated_database: str) -> None:
    from recete_app.backend.health import readiness

    assert readiness()["database"] == "no schema yet: run `recete db upgrade`"
