"""Embedding providers behind one interface. Vectors are stored with the provider's name and
dimension, so switching providers is visible per chunk and triggers re-embedding."""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

import httpx

from recete_app.backend.config import ConfigurationError, Settings, get_settings
from recete_app.backend.knowledge.text import words

LOCAL_DIMENSIONS = 512
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "should",
        "so",
        "that",
        "the",
        "this",
        "to",
        "use",
        "used",
        "using",
        "was",
        "what",
        "when",
        "which",
        "will",
        "with",
        "you",
        "your",
        "ve",
        "bir",
        "bu",
        "da",
        "de",
        "mi",
        "mu",
        "ne",
        "ile",
        "icin",
        "gibi",
        "ben",
        "benim",
        "bunu",
        "sey",
    ]
)


class Embedder(Protocol):
    name: str  # stored with every vector, e.g. "local-hash-v1"
    dimensions: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class LocalEmbedder:
    """Deterministic feature hashing, no model and no network: whole words, word stems (the
    first five letters, which absorb most Turkish suffixes: "şampuanı" ~ "şampuan") and
    letter 4-grams (which absorb typos), each hashed with a sign into a fixed-size vector and
    L2-normalised, so cosine similarity measures shared vocabulary."""

    name = "local-hash-v1"
    dimensions = LOCAL_DIMENSIONS

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for feature, weight in _features(text).items():
            digest = zlib.crc32(feature.encode())
            sign = 1.0 if digest & 0x80000000 else -1.0
            vector[digest % self.dimensions] += sign * weight
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector


def _features(text: str) -> dict[str, float]:
    features: defaultdict[str, float] = defaultdict(float)
    for word in words(text):
        if word in STOP_WORDS:
            continue
        features["w:" + word] += 1.0
        if len(word) > 5:
            features["s:" + word[:5]] += 0.7
        padded = f"#{word}#"
        grams = [padded[i : i + 4] for i in range(len(padded) - 3)]
        for gram in grams:
            features["g:" + gram] += 0.5 / math.sqrt(len(grams))
    # Repeating a word should help, but less and less (log-scaled term frequency).
    return {k: 1.0 + math.log(v) if v >= 1 else v for k, v in features.items()}


def configured_embedder(
    settings: Settings | None = None, transport: httpx.BaseTransport | None = None
) -> Embedder:
    """The provider the settings name; `transport` reaches the openai one (tests)."""
    settings = settings or get_settings()
    if settings.embedding_provider == "local":
        return LocalEmbedder()
    if settings.openai_api_key is None:
        raise ConfigurationError(
            "RECETE_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
            "compatible server other than OpenAI's)."
        )
    from recete_app.backend.knowledge.openai_embeddings import OpenAIEmbedder

    return OpenAIEmbedder(
        model=settings.embedding_model,
        dimensions=settings.embedding_dimensions,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        transport=transport,
    )
