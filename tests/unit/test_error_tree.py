"""One error tree in the domain, its HTTP statuses only at the HTTP edge."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from recete_app.backend.agent.responders import ResponderError
from recete_app.backend.commerce.shopify.client import ShopifyError
from recete_app.backend.commerce.shopify.install import ShopifyNotConfigured, ShopifyUnavailable
from recete_app.backend.commerce.woocommerce.client import WooCommerceError
from recete_app.backend.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ProviderError,
    RateLimited,
    RecetError,
    Unauthorized,
)
from recete_app.backend.http.errors import STATUSES, status_of
from recete_app.backend.knowledge.openai_embeddings import EmbeddingError
from recete_app.backend.messaging.whatsapp.errors import WhatsAppError
from recete_app.backend.scraping.errors import ScrapeError


def _tree() -> set[type[RecetError]]:
    found: set[type[RecetError]] = set()
    waiting = [RecetError]
    while waiting:
        cls = waiting.pop()
        found.add(cls)
        waiting.extend(cls.__subclasses__())
    return found


def test_no_domain_error_carries_an_http_status() -> None:
    for cls in _tree():
        assert not hasattr(cls, "status"), f"{cls.__name__}.status belongs in http/errors.py"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("bad"), 422),
        (Conflict("taken"), 409),
        (Unauthorized("who?"), 401),
        (Forbidden("no"), 403),
        (NotFound("gone"), 404),
        (RateLimited("slow down", retry_after=3), 429),
        (RecetError("bad request"), 400),
        (ScrapeError("no page", code="no_product_data"), 422),
        (EmbeddingError("down", request_sent=True, retryable=False), 502),
        (ShopifyUnavailable("down", request_sent=True, retryable=False), 502),
        (ShopifyNotConfigured("set the keys"), 503),
        (ShopifyError("Shopify answered 503", 503), 502),
    ],
)
def test_the_http_edge_gives_each_error_its_status(error: RecetError, status: int) -> None:
    assert status_of(error) == status


def test_the_status_table_lists_subclasses_before_their_bases() -> None:
    classes = [cls for cls, _ in STATUSES]
    for position, cls in enumerate(classes):
        earlier = classes[:position]
        assert not any(issubclass(cls, base) for base in earlier), f"{cls.__name__} is shadowed"
    assert classes[-1] is RecetError  # every error has a status


@pytest.mark.parametrize(
    "cls",
    [WhatsAppError, ShopifyError, WooCommerceError, ScrapeError, EmbeddingError, ResponderError],
)
def test_every_provider_error_is_a_provider_error_of_the_one_tree(cls: type[Any]) -> None:
    assert issubclass(cls, ProviderError) and issubclass(ProviderError, RecetError)


def test_an_error_keeps_its_fields_through_pickling() -> None:
    # Keyword-only constructors defeat Exception's default pickling (job queues, workers).
    for error in (
        RateLimited("slow", retry_after=7),
        ProviderError("x", request_sent=True, retryable=False),
    ):
        copied = pickle.loads(pickle.dumps(error))  # noqa: S301 - bytes we just made
        assert type(copied) is type(error) and copied.__dict__ == error.__dict__
