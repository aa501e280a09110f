"""The openai embedding provider against OpenAI's wire format (httpx.MockTransport): batches,
retries, the dimension check, readable errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from recete_app.backend.config import ConfigurationError, Settings
from recete_app.backend.knowledge.embeddings import configured_embedder
from recete_app.backend.knowledge.openai_embeddings import BATCH, EmbeddingError, OpenAIEmbedder

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures/openai/embeddings_response.json").read_text()
)


def _vector(text: str, dims: int) -> list[float]:
    return [math.sin(len(text) + i) for i in range(dims)]


def _answer(request: httpx.Request, dims: int) -> httpx.Response:
    body = json.loads(request.content)
    data = [
        {**FIXTURE["data"][0], "index": i, "embedding": _vector(text, dims)}
        for i, text in reversed(list(enumerate(body["input"])))  # any order: matched by index
    ]
    return httpx.Response(200, json={**FIXTURE, "data": data, "model": body["model"]})


def _embedder(
    handler: httpx.MockTransport, model: str = "text-embedding-3-small"
) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        model=model,
        dimensions=4,
        api_key="sk-test",
        base_url="https://llm.example/v1",
        transport=handler,
    )


def test_texts_are_sent_in_batches_and_vectors_come_back_in_input_order() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        assert request.url == "https://llm.example/v1/embeddings"
        assert request.headers["authorization"] == "Bearer sk-test"
        return _answer(request, 4)

    texts = [f"chunk {'x' * n}" for n in range(BATCH * 2 + 5)]
    vectors = _embedder(httpx.MockTransport(handler)).embed(texts)
    assert [len(b["input"]) for b in seen] == [BATCH, BATCH, 5]  # type: ignore[arg-type]
    assert seen[0]["model"] == "text-embedding-3-small" and seen[0]["dimensions"] == 4
    assert seen[0]["encoding_format"] == "float"
    assert vectors == [_vector(t, 4) for t in texts]


def test_a_compatible_server_gets_no_dimensions_parameter() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return _answer(request, 4)

    _embedder(httpx.MockTransport(handler), model="nomic-embed-text").embed(["serum"])
    assert "dimensions" not in seen[0]


def test_rate_limits_and_server_errors_are_retried() -> None:
    replies = iter([429, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(replies)
        if status != 200:
            error = {"error": {"message": "slow down", "type": "requests", "code": None}}
            return httpx.Response(status, json=error, headers={"retry-after-ms": "1"})
        return _answer(request, 4)

    assert _embedder(httpx.MockTransport(handler)).embed(["serum"]) == [_vector("serum", 4)]


def test_a_refused_request_is_a_readable_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"error": {"message": "Incorrect API key provided", "type": "invalid_request"}}
        return httpx.Response(401, json=error)

    with pytest.raises(EmbeddingError, match="401: Incorrect API key provided"):
        _embedder(httpx.MockTransport(handler)).embed(["serum"])


def test_vectors_of_another_size_are_refused_before_they_are_stored() -> None:
    transport = httpx.MockTransport(lambda request: _answer(request, 3))
    with pytest.raises(EmbeddingError, match="returned 3 dimensions"):
        _embedder(transport).embed(["serum"])


def test_the_vector_name_records_model_and_size() -> None:
    settings = Settings(
        embedding_provider="openai",
        embedding_dimensions=1536,
        OPENAI_API_KEY=SecretStr("sk-test"),
    )
    embedder = configured_embedder(settings)
    assert (embedder.name, embedder.dimensions) == ("openai:text-embedding-3-small:1536", 1536)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        configured_embedder(Settings(embedding_provider="openai"))
