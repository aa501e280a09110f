"""`recete demo` and `recete eval retrieval`: the demo store and the retrieval eval over it."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from recete_app.cli_agent import add_eval_command

DEMO_EMAIL = "demo@lalekozmetik.com"


def cmd_demo(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.accounts.signup import sign_up
    from recete_app.backend.db import session_scope
    from recete_app.backend.errors import NotFound
    from recete_app.backend.knowledge.demo import install_demo_catalogue
    from recete_app.backend.knowledge.embeddings import configured_embedder

    try:
        merchant_id, _account = merchant_for_email(args.email)
    except NotFound:
        password = args.password or secrets.token_urlsafe(12)
        merchant_id = sign_up("Lale Kozmetik (demo)", args.email, password).merchant_id
        print(f"created {args.email} with password {password}")
    with session_scope(merchant_id) as session:
        count = install_demo_catalogue(session, configured_embedder())
    print(f"{count} demo products loaded and indexed for {args.email}")
    return 0


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.knowledge import evaluation
    from recete_app.backend.knowledge.embeddings import configured_embedder

    with open(args.file, encoding="utf-8") as handle:
        cases = evaluation.read_cases(handle)
    merchants: dict[str, Any] = {}

    def merchant_id(email: str) -> Any:
        if email not in merchants:
            merchants[email] = merchant_for_email(email)[0]
        return merchants[email]

    scores = evaluation.evaluate(cases, merchant_id, configured_embedder())
    for name, value in scores.summary().items():
        print(f"{name:22} {value:g}")
    if args.show_misses:
        for case, got in scores.misses:
            print(f"miss: {case.question!r} -> want {case.product}/{case.section}, got {got}")
    summary = scores.summary()
    failed = [
        name
        for name, minimum in (
            ("product_recall@3", args.min_product_recall),
            ("section_recall@3", args.min_section_recall),
        )
        if minimum is not None and summary[name] < minimum
    ]
    if failed:
        print(f"below the minimum: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_products_scrape(args: argparse.Namespace) -> int:
    from recete_app.backend.accounts.merchants import merchant_for_email
    from recete_app.backend.accounts.sessions import Principal
    from recete_app.backend.db import session_scope
    from recete_app.backend.knowledge import scrape_jobs
    from recete_app.backend.models import JobStatus, ScrapeJob
    from recete_app.backend.scraping.reading import PageOutcome
    from recete_app.backend.services import catalogue

    merchant_id, account_id = merchant_for_email(args.merchant)
    person = Principal(merchant_id, f"account:{account_id}", account_id=account_id)
    job_id = catalogue.add_products(person, args.urls, queue=args.queue).id
    if args.queue:
        print(f"queued scrape job {job_id}; a worker reads the pages")
        return 0

    def report(outcome: PageOutcome) -> None:
        if outcome.product is not None:
            print(f"ok      {outcome.url}  {outcome.product.title} ({outcome.product.source})")
        elif outcome.error is not None:
            print(f"failed  {outcome.url}  {outcome.error.code}: {outcome.error.message}")

    status = scrape_jobs.run_scrape(merchant_id, job_id, on_page=report)
    with session_scope(merchant_id) as session:
        done = session.get_one(ScrapeJob, job_id)
        print(f"{status}: {done.pages_done} read, {done.pages_failed} failed")
        return 0 if status == JobStatus.DONE and done.pages_done else 1


def add_commands(sub: Any) -> None:
    products = sub.add_parser("products").add_subparsers(dest="products_command", required=True)
    scrape = products.add_parser(
        "scrape", help="read product pages (a page, a collection or a sitemap) into knowledge"
    )
    scrape.add_argument("--merchant", required=True, help="the owner's email")
    scrape.add_argument("urls", nargs="+", metavar="URL")
    scrape.add_argument("--queue", action="store_true", help="leave it to a worker (Redis)")
    scrape.set_defaults(handler=cmd_products_scrape)
    demo = sub.add_parser("demo", help="load the demo catalogue into a demo store and index it")
    demo.add_argument("--email", default=DEMO_EMAIL, help=f"the demo owner (default {DEMO_EMAIL})")
    demo.add_argument("--password", help="for a new demo account (default: generated, printed)")
    demo.set_defaults(handler=cmd_demo)
    evals = sub.add_parser("eval", help="quality evals").add_subparsers(
        dest="eval_command", required=True
    )
    retrieval = evals.add_parser("retrieval", help="recall@1/3/5 and MRR of product search")
    retrieval.add_argument("file", help="JSON lines: merchant, question, product, section")
    retrieval.add_argument("--min-product-recall", type=float, help="fail below this recall@3")
    retrieval.add_argument("--min-section-recall", type=float, help="fail below this recall@3")
    retrieval.add_argument("--show-misses", action="store_true")
    retrieval.set_defaults(handler=cmd_eval_retrieval)
    add_eval_command(evals)
