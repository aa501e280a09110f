"""`recete customer export|erase|consent`: a customer's rights from the command line, through
the same services as the dashboard and the REST API (`services/customer_privacy`). A customer is
named by their whole phone number; the person is the store's owner account (--merchant)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _person_and_customer(args: argparse.Namespace) -> tuple[Any, Any]:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.accounts.sessions import Principal
    from recete_app.backend.services import customer_privacy

    merchant_id, account_id = merchant_for_email(args.merchant)
    person = Principal(merchant_id, f"account:{account_id}", account_id=account_id)
    return person, customer_privacy.customer_by_phone(merchant_id, args.phone)


def cmd_customer_export(args: argparse.Namespace) -> int:
    from recete_app.backend.services import customer_exports

    person, customer_id = _person_and_customer(args)
    # Made here whatever its size: no request waits on a terminal (the API queues large ones).
    outcome = customer_exports.request_export(person, customer_id, in_process=True)
    text = json.dumps(outcome.document, ensure_ascii=False, indent=2)
    if args.output == "-":
        print(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(f"exported customer {customer_id} to {args.output}", file=sys.stderr)
    return 0


def cmd_customer_erase(args: argparse.Namespace) -> int:
    from recete_app.backend.services import customer_privacy

    if args.confirm != args.phone:
        print("error: erasing is irreversible: repeat the phone number with --confirm")
        return 1
    person, customer_id = _person_and_customer(args)
    erased = customer_privacy.erase_customer(person, customer_id)
    print(
        f"erased customer {customer_id}: messages, conversations, consent log and pending "
        f"messages gone, orders kept anonymous; {erased.webhook_bodies} stored webhook "
        "bodies blanked"
    )
    return 0


def cmd_customer_consent(args: argparse.Namespace) -> int:
    from recete_app.backend.services import customer_privacy

    person, customer_id = _person_and_customer(args)
    now = customer_privacy.set_consent(person, customer_id, args.state, args.reason)
    print(f"customer {customer_id}: consent {now['consent_state']}")
    return 0


def add_commands(sub: Any) -> None:
    customer = sub.add_parser("customer", help="a customer's export, erasure and consent")
    actions = customer.add_subparsers(dest="customer_command", required=True)
    export = actions.add_parser("export", help="everything held about the customer, as JSON")
    erase = actions.add_parser("erase", help="erase the customer for good (orders stay, anonymous)")
    consent = actions.add_parser("consent", help="record an opt-in or opt-out, with a reason")
    for parser in (export, erase, consent):
        parser.add_argument("--merchant", required=True, help="the owner's email")
        parser.add_argument("--phone", required=True, help="the customer's whole phone number")
    export.add_argument("--output", "-o", default="-", help="a file (default: standard output)")
    export.set_defaults(handler=cmd_customer_export)
    erase.add_argument("--confirm", required=True, help="the phone number again")
    erase.set_defaults(handler=cmd_customer_erase)
    consent.add_argument("state", choices=["opted_in", "opted_out"])
    consent.add_argument("--reason", required=True, help='e.g. "asked by phone"')
    consent.set_defaults(handler=cmd_customer_consent)
