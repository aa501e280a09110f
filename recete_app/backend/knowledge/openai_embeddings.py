"""Embeddings from any OpenAI-compatible endpoint (the openai SDK): batched, retried by the SDK
with back-off, each vector checked against the configured size before it is stored."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import openai

from recete_app.backend.errors import ProviderError
from recete_app.backend.http_client import Failure, answered, build_client, unanswered

BATCH = 96  # texts per request: well under the API's input limits, few round trips
RETRIES = 4


class EmbeddingError(ProviderError):
    code = "embedding_failed"

    def __init__(self, message: str, *, request_sent: bool = True, retryable: bool = False) -> None:
        # The defaults fit an answer we refuse (wrong count, wrong size): sent, and final.
        super().__init__(message, request_sent=request_sent, retryable=retryable)


def openai_failure(exc: openai.APIError) -> Failure:
    """What the openai SDK's error (after its own retries) says about the request."""
    if isinstance(exc, openai.APIStatusError):
        return answered(exc.status_code)
    if isinstance(exc, openai.APIConnectionError):  # timeouts too; the httpx failure is the cause
        return unanswered(exc.__cause__)
    return Failure(request_sent=True, retryable=False)  # an answer the SDK could not read


class OpenAIEmbedder:
    """`name` carries the model and the size, so chunks embedded by another provider, model or
    size are re-embedded on the next indexing and never compared with these vectors."""

    def __init__(
        self,
        *,
        model: str,
        dimensions: int,
        api_key: str,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self.name = f"openai:{model}:{dimensions}"
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=RETRIES,
            timeout=timeout,
            # The SDK's annotation names its vendored httpx2; it accepts an httpx client too,
            # which keeps timeouts, user agent and test transports in the one client factory.
            http_client=build_client(timeout=timeout, transport=transport),  # type: ignore[arg-type]
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors.extend(self._embed_batch(list(texts[start : start + BATCH])))
        return vectors

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        # Only OpenAI's text-embedding-3 models accept `dimensions`; other compatible servers
        # reject unknown parameters, so they get none and must return the configured size.
        sized = self.model.startswith("text-embedding-3")
        try:
            response = self._client.embeddings.create(
                model=self.model,
                input=batch,
                encoding_format="float",
                dimensions=self.dimensions if sized else openai.omit,
            )
        except openai.APIStatusError as exc:
            reason = exc.message.removeprefix(f"Error code: {exc.status_code} - ")
            raise EmbeddingError(
                f"The embedding endpoint answered {exc.status_code}: {reason}",
                **openai_failure(exc),
            ) from exc
        except openai.APIError as exc:
            raise EmbeddingError(
                f"The embedding endpoint failed: {exc.message}", **openai_failure(exc)
            ) from exc
        ordered = sorted(response.data, key=lambda item: item.index)
        if len(ordered) != len(batch):
            raise EmbeddingError(f"Asked for {len(batch)} embeddings, got {len(ordered)}.")
        for item in ordered:
            if len(item.embedding) != self.dimensions:
                raise EmbeddingError(
                    f"{self.model} returned {len(item.embedding)} dimensions; "
                    f"RECETE_EMBEDDING_DIMENSIONS is {self.dimensions}."
                )
        return [list(item.embedding) for item in ordered]
