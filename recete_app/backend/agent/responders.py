"""What a responder (the local composer or a model) is given and what it gives back.

A responder only writes text. It reads this merchant's retrieved knowledge and this customer's
own purchases, and it cannot change anything: sending, escalating and pausing are decided by the
pipeline around it, after the guardrails have read the draft.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from recete_app.backend.errors import ProviderError

INTENTS = (
    "product_question",
    "usage",
    "order_status",
    "complaint",
    "adverse_reaction",
    "return_refund",
    "human",
    "opt_out",
    "thanks",
    "other",
)


@dataclass(frozen=True)
class Source:
    """One retrieved piece of the store's knowledge, the only facts a reply may use."""

    ref: str  # "S1", "S2" ... as the responder cites it
    chunk_id: uuid.UUID
    product_id: uuid.UUID | None
    product: str
    section: str
    language: str
    text: str


@dataclass(frozen=True)
class Purchase:
    product_id: uuid.UUID | None
    title: str
    order_name: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class Turn:
    """One past message of the conversation, oldest first."""

    author: str  # customer | ai | human | system
    text: str


@dataclass(frozen=True)
class DraftRequest:
    message: str
    language: str  # "en" | "tr": the reply's language
    intent: str | None  # the rules' intent when they are sure; None lets the model decide
    store_name: str
    customer_first_name: str
    purchases: list[Purchase]
    history: list[Turn]
    sources: list[Source]


@dataclass(frozen=True)
class Usage:
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: int


@dataclass(frozen=True)
class Draft:
    text: str  # empty when the responder has nothing grounded to say
    intent: str | None
    used_sources: list[str] = field(default_factory=list)  # Source.ref values
    confidence: float = 0.0  # 0..1: how sure the responder is the sources answer the question
    usage: Usage | None = None


class ResponderError(ProviderError):
    """The responder gave no usable draft (timeout, API error, malformed output). The pipeline
    answers safely without it; `usage` carries what the failed call cost, when known. The
    defaults fit a malformed or refused answer: sent, and final."""

    code = "responder_failed"

    def __init__(
        self,
        message: str,
        usage: Usage | None = None,
        *,
        request_sent: bool = True,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, request_sent=request_sent, retryable=retryable)
        self.usage = usage


class Responder(Protocol):
    name: str

    def draft(self, request: DraftRequest) -> Draft: ...
