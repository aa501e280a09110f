"""Retrieval eval: for each question, where the right product (and the right section of it)
first appears in the search results. Reports recall@1/3/5 and MRR for both."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.search import Hit, search

CUTOFFS = (1, 3, 5)


@dataclass(frozen=True)
class Case:
    merchant: str
    question: str
    product: str
    section: str


@dataclass
class Scores:
    """First rank (1-based) of the right product and of the right section, 0 when absent."""

    product_ranks: list[int] = field(default_factory=list)
    section_ranks: list[int] = field(default_factory=list)
    misses: list[tuple[Case, list[str]]] = field(default_factory=list)

    def recall(self, ranks: list[int], cutoff: int) -> float:
        return sum(1 for r in ranks if 0 < r <= cutoff) / len(ranks) if ranks else 0.0

    def mrr(self, ranks: list[int]) -> float:
        return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0

    def summary(self) -> dict[str, float]:
        result: dict[str, float] = {"questions": float(len(self.product_ranks))}
        for name, ranks in (("product", self.product_ranks), ("section", self.section_ranks)):
            for cutoff in CUTOFFS:
                result[f"{name}_recall@{cutoff}"] = round(self.recall(ranks, cutoff), 3)
            result[f"{name}_mrr"] = round(self.mrr(ranks), 3)
        return result


def read_cases(lines: Iterable[str]) -> list[Case]:
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            cases.append(Case(item["merchant"], item["question"], item["product"], item["section"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"Line {number} is not an eval case: {exc}") from exc
    return cases


def evaluate(
    cases: list[Case],
    merchant_ids: Callable[[str], uuid.UUID],
    embedder: Embedder,
    k: int = max(CUTOFFS),
) -> Scores:
    scores = Scores()
    for case in cases:
        with session_scope(merchant_ids(case.merchant)) as session:
            hits = search(session, case.question, embedder, k=k)
        product_rank = _first(hits, case, sections=False)
        section_rank = _first(hits, case, sections=True)
        scores.product_ranks.append(product_rank)
        scores.section_ranks.append(section_rank)
        if product_rank != 1:
            scores.misses.append((case, [f"{h.product_external_id}/{h.section}" for h in hits]))
    return scores


def _is_product(hit: Hit, case: Case) -> bool:
    return case.product in (hit.product_external_id, hit.product)


def _first(hits: list[Hit], case: Case, *, sections: bool) -> int:
    """1-based rank of the first hit on the case's product (and section), 0 if none."""
    for rank, hit in enumerate(hits, start=1):
        if _is_product(hit, case) and (not sections or hit.section == case.section):
            return rank
    return 0
