"""Every outside service's failure is a ProviderError that says whether the request may have
reached the provider (`request_sent`) and whether the same call may work later (`retryable`):
each adapter driven through httpx.MockTransport into the same representative failures."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from recete_app.backend.agent.openai_responder import OpenAIResponder
from recete_app.backend.agent.responders import DraftRequest
from recete_app.backend.commerce.shopify.client import ShopifyAdminClient, exchange_code
from recete_app.backend.commerce.woocommerce.client import WooCommerceClient
from recete_app.backend.errors import ProviderError
from recete_app.backend.http_client import build_client
from recete_app.backend.knowledge.openai_embeddings import OpenAIEmbedder
from recete_app.backend.messaging.whatsapp.client import WhatsAppClient
from recete_app.backend.scraping.fetching import Fetcher

Handler = Callable[[httpx.Request], httpx.Response]
Call = Callable[[httpx.MockTransport], object]


def raising(failure: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure("simulated", request=request)

    return handler


def answering(status: int) -> Handler:
    # retry-after-ms keeps the openai SDK's own retries instant.
    return lambda _: httpx.Response(status, json={"error": {}}, headers={"retry-after-ms": "0"})


FAILURES = [
    # (failure, request_sent, retryable)
    pytest.param(raising(httpx.ConnectError), False, True, id="no-connection"),
    pytest.param(raising(httpx.ConnectTimeout), False, True, id="connect-timeout"),
    pytest.param(raising(httpx.ReadTimeout), True, False, id="answer-lost"),
    pytest.param(answering(429), True, True, id="429"),
    pytest.param(answering(503), True, True, id="503"),
    pytest.param(answering(400), True, False, id="400"),
]


def whatsapp(transport: httpx.MockTransport) -> object:
    http = build_client(base_url="https://graph.example/v23.0", transport=transport)
    client = WhatsAppClient(http, phone_number_id="1065", access_token="EAAG-token")
    return client.send_text("905321234567", "hi")


def shopify(transport: httpx.MockTransport) -> object:
    return ShopifyAdminClient("glow.myshopify.com", "shpat", transport).graphql("{ shop { id } }")


def shopify_install(transport: httpx.MockTransport) -> object:
    return exchange_code("glow.myshopify.com", "client", "secret", "code", transport)


def woocommerce(transport: httpx.MockTransport) -> object:
    return next(WooCommerceClient("https://shop.example", "ck", "cs", transport).products())


def scraper(transport: httpx.MockTransport) -> object:
    fetcher = Fetcher(
        resolver=lambda host, port: ["93.184.216.34"],
        transport=transport,
        politeness_delay=0,
        respect_robots=False,
    )
    return fetcher.fetch("https://shop.example/serum")


def embeddings(transport: httpx.MockTransport) -> object:
    embedder = OpenAIEmbedder(
        model="text-embedding-3-small",
        dimensions=4,
        api_key="sk-test",
        base_url="https://llm.example/v1",
        transport=transport,
    )
    # The SDK's back-off between its retries would only slow the test down.
    embedder._client = embedder._client.with_options(max_retries=0)
    return embedder.embed(["serum"])


def responder(transport: httpx.MockTransport) -> object:
    model = OpenAIResponder(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url="https://llm.example/v1",
        transport=transport,
        max_retries=0,
    )
    request = DraftRequest(
        message="How do I use the serum?",
        language="en",
        intent=None,
        store_name="Glow",
        customer_first_name="Ada",
        purchases=[],
        history=[],
        sources=[],
    )
    return model.draft(request)


@pytest.mark.parametrize(
    "call",
    [whatsapp, shopify, shopify_install, woocommerce, scraper, embeddings, responder],
)
@pytest.mark.parametrize(("failure", "request_sent", "retryable"), FAILURES)
def test_a_provider_failure_says_whether_it_was_sent_and_may_be_retried(
    call: Call, failure: Handler, request_sent: bool, retryable: bool
) -> None:
    with pytest.raises(ProviderError) as caught:
        call(httpx.MockTransport(failure))
    error = caught.value
    assert (error.request_sent, error.retryable) == (request_sent, retryable)
    assert error.message and error.code


def test_shopifys_graphql_rate_limit_is_retryable_though_it_answers_200() -> None:
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=throttled))
    with pytest.raises(ProviderError) as caught:
        shopify(transport)
    assert (caught.value.request_sent, caught.value.retryable) == (True, True)


@pytest.mark.parametrize(
    ("status", "graph_code", "retryable"),
    [(400, 131000, True), (401, 190, False), (400, 131026, False)],
    ids=["meta-temporary-code", "token-expired", "undeliverable"],
)
def test_metas_own_error_code_decides_whether_a_whatsapp_refusal_is_retryable(
    status: int, graph_code: int, retryable: bool
) -> None:
    body = {"error": {"message": "x", "code": graph_code}}
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    with pytest.raises(ProviderError) as caught:
        whatsapp(transport)
    assert (caught.value.request_sent, caught.value.retryable) == (True, retryable)


def test_a_whatsapp_answer_without_a_message_id_was_sent_and_is_final() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={}))
    with pytest.raises(ProviderError) as caught:
        whatsapp(transport)
    assert (caught.value.request_sent, caught.value.retryable) == (True, False)


def test_a_link_the_scraper_refuses_is_never_sent_and_stays_refused() -> None:
    fetcher = Fetcher(resolver=lambda host, port: ["10.0.0.5"], politeness_delay=0)
    with pytest.raises(ProviderError) as caught:
        fetcher.fetch("https://intranet.example/")
    assert caught.value.code == "refused_address"
    assert (caught.value.request_sent, caught.value.retryable) == (False, False)


def test_a_failing_robots_txt_keeps_the_page_unsent_until_a_later_try() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(503))
    fetcher = Fetcher(
        resolver=lambda host, port: ["93.184.216.34"], transport=transport, politeness_delay=0
    )
    with pytest.raises(ProviderError) as caught:
        fetcher.fetch("https://shop.example/serum")
    assert caught.value.code == "robots_disallowed"
    assert (caught.value.request_sent, caught.value.retryable) == (False, True)
