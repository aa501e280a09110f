"""The `recete` command (DESIGN §5)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from recete_app.backend.accounts.scopes import SCOPES
from recete_app.backend.config import ConfigurationError, get_settings
from recete_app.backend.errors import RecetError
from recete_app.backend.logs import configure_logging
from recete_app.cli_customers import add_commands as add_customer_commands
from recete_app.cli_knowledge import add_commands as add_knowledge_commands

Handler = Callable[[argparse.Namespace], int]


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from recete_app.backend.migrations import upgrade_database

    upgrade_database()
    print("database is at the latest schema")
    return 0


def cmd_merchant_create(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.signup import sign_up

    created = sign_up(args.name, args.email, args.password)
    print(created.merchant_id)
    return 0


def cmd_api_key_create(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.api_keys import issue_key
    from recete_app.backend.accounts.merchants import merchant_for_email

    merchant_id, account_id = merchant_for_email(args.merchant)
    created = issue_key(
        merchant_id, f"account:{account_id}", args.name, args.expires_days, args.scope
    )
    print(created.key)
    print(f"scopes {' '.join(created.scopes)}", file=sys.stderr)
    print(f"expires {created.expires_at.isoformat()}", file=sys.stderr)
    print("Store this key now: it is not shown again.", file=sys.stderr)
    return 0


def cmd_import_orders(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.commerce.csv_import import import_orders_csv

    merchant_id, account_id = merchant_for_email(args.merchant)
    with open(args.file, encoding="utf-8-sig", newline="") as handle:
        report = import_orders_csv(merchant_id, handle, f"account:{account_id}")
    print(
        f"{report.orders_imported} order(s) imported, {report.orders_skipped} skipped, "
        f"{report.rows} row(s) read ({report.format})"
    )
    for problem in report.problems:
        order = f" (order {problem.order} not imported)" if problem.order else ""
        print(f"row {problem.row}{order}, {problem.field}: {problem.problem}")
    if report.problem_count > len(report.problems):
        print(f"... and {report.problem_count - len(report.problems)} more problem(s)")
    return 0


def cmd_integration_add(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.services import connections

    # The CLI's --secret (DESIGN §5) is WooCommerce's webhook secret.
    fields = {**vars(args), "webhook_secret": getattr(args, "secret", None)}
    merchant_id, account_id = merchant_for_email(args.merchant)
    # No workers run behind the command: a catalogue is imported here, before it returns.
    connected = connections.connect(
        merchant_id, f"account:{account_id}", args.kind, fields, queue=False
    )
    print(connected.integration_id)
    if connected.webhook_url:
        print(f"webhook URL: {connected.webhook_url}", file=sys.stderr)
    if connected.import_error:
        print(f"catalogue import failed: {connected.import_error}", file=sys.stderr)
        return 1
    if connected.products_imported is not None:
        print(f"imported {connected.products_imported} product(s)", file=sys.stderr)
    return 0


def cmd_integration_remove(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.services import connections

    merchant_id, account_id = merchant_for_email(args.merchant)
    gone = connections.disconnect(merchant_id, f"account:{account_id}", args.id)
    print(f"{gone.id} {gone.status}")
    return 0


def cmd_integration_test(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.services import connection_checks

    merchant_id, _account_id = merchant_for_email(args.merchant)
    check = connection_checks.check_connection(merchant_id, args.id)
    print(check.message)
    return 0 if check.ok else 1


def _add_integration_actions(integration_sub: Any) -> None:
    """`integration remove ID` and `integration test ID`, beside `integration add`."""
    remove = integration_sub.add_parser(
        "remove", help="disconnect a store or number (its secrets are erased)"
    )
    remove.set_defaults(handler=cmd_integration_remove)
    test = integration_sub.add_parser(
        "test", help="check a connection's credentials with one read-only call"
    )
    test.set_defaults(handler=cmd_integration_test)
    for action in (remove, test):
        action.add_argument("id", help="the integration's id (`recete integration add` prints it)")
        action.add_argument("--merchant", required=True, help="the owner's email")


def cmd_keys_rotate(_args: argparse.Namespace) -> int:
    from recete_app.backend.security.fields import reencrypt_merchant
    from recete_app.backend.tenants import for_each_merchant

    changed = for_each_merchant(reencrypt_merchant)
    print(f"re-encrypted {changed} value(s) under the current key")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from recete_app.runtime import prepare_process

    if not get_settings().redis_url:
        print(
            "recete worker needs RECETE_REDIS_URL; without Redis the backend runs the "
            "workers itself, in-process.",
            file=sys.stderr,
        )
        return 2
    prepare_process()
    from recete_app.worker import run_worker

    run_worker(args.threads)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from recete_app.launcher import run_app

    return run_app(
        prod=args.prod,
        frontend_port=args.frontend_port,
        backend_port=args.backend_port,
        backend_host=args.backend_host,
    )


def _require_schema() -> None:
    """Fail with what to do, before a command trips over a missing table or role."""
    from recete_app.backend.health import schema_problem

    problem = schema_problem()
    if problem is not None:
        raise ConfigurationError(f"the database is not ready: {problem}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recete", description="Recete retention agent")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply migrations").set_defaults(
        handler=cmd_db_upgrade, needs_schema=False
    )

    merchant = sub.add_parser("merchant").add_subparsers(dest="merchant_command", required=True)
    create = merchant.add_parser("create", help="create a merchant and its owner account")
    create.add_argument("--name", required=True, help="store name")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.set_defaults(handler=cmd_merchant_create)

    api_key = sub.add_parser("api-key").add_subparsers(dest="api_key_command", required=True)
    key_create = api_key.add_parser("create", help="print a new gg_live_ key once")
    key_create.add_argument("--merchant", required=True, help="the owner's email")
    key_create.add_argument(
        "--expires-days", type=int, default=None, help="default and most: the configured cap"
    )
    key_create.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        help="repeatable; default orders:write (the order API); admin opens the REST API",
    )
    key_create.add_argument("--name", default="cli")
    key_create.set_defaults(handler=cmd_api_key_create)

    imports = sub.add_parser("import-orders", help="import a Shopify order export or generic CSV")
    imports.add_argument("--merchant", required=True, help="the owner's email")
    imports.add_argument("file", help="path to the CSV file")
    imports.set_defaults(handler=cmd_import_orders)

    integration = sub.add_parser(
        "integration", help="connect, test or disconnect a store or WhatsApp number"
    )
    integration_sub = integration.add_subparsers(dest="integration_command", required=True)
    add = integration_sub.add_parser("add").add_subparsers(dest="kind", required=True)
    shopify = add.add_parser("shopify", help="a Shopify custom app")
    shopify.add_argument("--shop", required=True, help="name.myshopify.com")
    shopify.add_argument("--access-token", required=True)
    shopify.add_argument("--api-secret", help="the custom app's API secret (signs webhooks)")
    woo = add.add_parser("woocommerce", help="a WooCommerce store")
    woo.add_argument("--url", required=True)
    woo.add_argument("--secret", required=True, help="the webhook secret")
    woo.add_argument("--consumer-key")
    woo.add_argument("--consumer-secret")
    whatsapp = add.add_parser("whatsapp", help="a WhatsApp Cloud API number")
    whatsapp.add_argument("--phone-number-id", required=True)
    whatsapp.add_argument("--access-token", required=True)
    whatsapp.add_argument("--app-secret", required=True)
    whatsapp.add_argument("--verify-token", required=True)
    for kind_parser in (shopify, woo, whatsapp):
        kind_parser.add_argument("--merchant", required=True, help="the owner's email")
        kind_parser.set_defaults(handler=cmd_integration_add)
    _add_integration_actions(integration_sub)

    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("rotate", help="re-encrypt every value under the current key").set_defaults(
        handler=cmd_keys_rotate
    )

    add_knowledge_commands(sub)
    add_customer_commands(sub)
    worker = sub.add_parser("worker", help="run Dramatiq workers (+ periodic jobs) on Redis")
    worker.add_argument("--threads", type=int, default=get_settings().worker_threads)
    worker.set_defaults(handler=cmd_worker)

    run = sub.add_parser("run", help="run the app (embedded database unless configured)")
    run.add_argument("--prod", action="store_true", help="production build of the frontend")
    run.add_argument("--frontend-port", type=int, default=3000)
    run.add_argument("--backend-port", type=int, default=8000)
    run.add_argument(
        "--backend-host",
        default=None,
        help="address the backend listens on (default: RECETE_BIND_HOST, else 127.0.0.1 in "
        "dev, 0.0.0.0 in prod)",
    )
    run.set_defaults(handler=cmd_run, needs_schema=False)  # it upgrades the schema itself
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(get_settings())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handler: Handler = args.handler
    try:
        if getattr(args, "needs_schema", True):
            _require_schema()
        return handler(args)
    except (RecetError, ConfigurationError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
