"""Embedding providers behind one interface. Vectors are stored with the provider's name and
dimension, so switching providers is visible per chunk and triggers re-embedding."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import httpx

from recete_app.backend.config import ConfigurationError, Settings, get_settings
from recete_app.backend.text import words

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
        for feature, count in _feature_counts(text).items():
            slot, sign = _slot(feature, self.dimensions)
            # Repeating a word should help, but less and less (log-scaled term frequency).
            vector[slot] += sign * (1.0 + math.log(count) if count >= 1 else count)
        # A list, not a generator: the same additions in the same order, fewer calls.
        norm = math.sqrt(sum([v * v for v in vector]))
        return [v / norm for v in vector] if norm else vector


def _feature_counts(text: str) -> dict[str, float]:
    """Each feature's weighted count in the text, in order of first appearance."""
    features: dict[str, float] = {}
    for word in words(text):
        if word in STOP_WORDS:
            continue
        # Each word's increments are replayed in the order they were first computed in, so
        # every sum (and so every vector) is bit-for-bit what the uncached loop produced.
        for feature, increment in _word_features(word):
            features[feature] = features.get(feature, 0.0) + increment
    return features


# Product text repeats a small vocabulary (and every chunk of a section repeats its cue words),
# so a word's features and a feature's slot are computed once per process, not per occurrence.
@lru_cache(maxsize=1 << 14)  # a catalogue's vocabulary; ~1.5 KiB a word
def _word_features(word: str) -> tuple[tuple[str, float], ...]:
    """The word, its stem (longer words only) and its letter 4-grams, with their weights."""
    features = [("w:" + word, 1.0)]
    if len(word) > 5:
        features.append(("s:" + word[:5], 0.7))
    padded = f"#{word}#"
    grams = [padded[i : i + 4] for i in range(len(padded) - 3)]
    if grams:  # a one-letter word has none
        weight = 0.5 / math.sqrt(len(grams))
        features.extend(("g:" + gram, weight) for gram in grams)
    return tuple(features)


@lru_cache(maxsize=1 << 16)
def _slot(feature: str, dimensions: int) -> tuple[int, float]:
    """Where a feature lands in the vector, and with which sign."""
    digest = zlib.crc32(feature.encode())
    return digest % dimensions, 1.0 if digest & 0x80000000 else -1.0


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
