"""What the agent knows when it answers one message: the conversation so far, what this
customer bought and when it arrived, and the store's knowledge that matches the question.
Read in one transaction; nothing here writes."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from recete_app.backend.agent.answer_words import search_hints
from recete_app.backend.agent.links import NO_LINKS, StoreLinks
from recete_app.backend.agent.naming import (
    POINTS_AT_PURCHASE,
    asks_about_several,
    name_words,
    named_product,
)
from recete_app.backend.agent.responders import Purchase, Source, Turn
from recete_app.backend.knowledge.embeddings import Embedder
from recete_app.backend.knowledge.search import Hit, search
from recete_app.backend.knowledge.sections import best_section_text
from recete_app.backend.models import (
    Conversation,
    Customer,
    Merchant,
    Message,
    MessageDirection,
    Order,
    OrderItem,
)
from recete_app.backend.text import detect_language, fold, words

HISTORY = 10  # earlier messages shown to the responder
ORDERS = 5  # the customer's latest orders
SOURCES = 5
DEEP = 40  # how far down the store's ranking one bought product's own chunks are looked for
# Asked about several bought products, at most this many are searched (one search each).
TOGETHER = 3


@dataclass(frozen=True)
class OrderFacts:
    name: str
    placed_at: datetime | None
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    delivery_estimated: bool
    cancelled_at: datetime | None
    refunded_at: datetime | None


@dataclass(frozen=True)
class Inquiry:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: uuid.UUID
    provider_message_id: str | None
    text: str
    kind: str
    conversation_status: str
    consent_state: str
    language: str  # the reply's language
    store_name: str
    first_name: str
    purchases: list[Purchase]
    orders: list[OrderFacts]
    history: list[Turn]
    earlier_intents: list[str]  # intents of the customer's earlier messages, newest first
    answering_step: int | None  # the journey step this conversation last sent, if any
    # What a reply may link to (links.read_store_links, once the sources are known); none
    # until then, so a reply drafted without it carries no link at all.
    store_links: StoreLinks = NO_LINKS


def read_inquiry(session: Session, message_id: uuid.UUID) -> Inquiry | None:
    message = session.get(Message, message_id)
    if message is None or message.direction != MessageDirection.INBOUND:
        return None
    conversation = session.get_one(Conversation, message.conversation_id)
    customer = session.get_one(Customer, conversation.customer_id)
    merchant = session.get_one(Merchant, message.merchant_id)
    earlier = _earlier_messages(session, message)
    remembered = conversation.language or customer.language or merchant.default_language
    orders = _orders(session, customer.id)
    return Inquiry(
        message_id=message.id,
        conversation_id=conversation.id,
        customer_id=customer.id,
        provider_message_id=message.provider_message_id,
        text=message.body,
        kind=message.kind,
        conversation_status=conversation.status,
        consent_state=customer.consent_state,
        language=reply_language(message.body, remembered),
        store_name=merchant.name,
        first_name=customer.first_name,
        purchases=_purchases(session, [order for order, _facts in orders]),
        orders=[facts for _order, facts in orders],
        history=[Turn(m.author, m.body) for m in reversed(earlier)],
        earlier_intents=[
            m.intent or "" for m in earlier if m.direction == MessageDirection.INBOUND
        ],
        answering_step=next(
            (int(m.details["step"]) for m in earlier if "step" in (m.details or {})), None
        ),
    )


def reply_language(text: str, remembered: str | None) -> str:
    """Turkish when the message reads as Turkish; English when it clearly reads as English;
    a short "ok" or "STOP" keeps the language the conversation already has."""
    if detect_language(text) == "tr":
        return "tr"
    if len(words(text)) >= 3:
        return "en"
    return remembered if remembered in ("en", "tr") else "en"


def _earlier_messages(session: Session, message: Message) -> list[Message]:
    return list(
        session.exec(
            select(Message)
            .where(
                Message.conversation_id == message.conversation_id,
                Message.id != message.id,
                col(Message.created_at) <= message.created_at,
            )
            .order_by(col(Message.created_at).desc())
            .limit(HISTORY)
        ).all()
    )


def _orders(session: Session, customer_id: uuid.UUID) -> list[tuple[Order, OrderFacts]]:
    rows = session.exec(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(col(Order.placed_at).desc().nulls_last(), col(Order.created_at).desc())
        .limit(ORDERS)
    ).all()
    return [
        (
            order,
            OrderFacts(
                order.name,
                order.placed_at,
                order.fulfilled_at,
                order.delivered_at,
                order.delivery_estimated,
                order.cancelled_at,
                order.refunded_at,
            ),
        )
        for order in rows
    ]


def _purchases(session: Session, orders: list[Order]) -> list[Purchase]:
    if not orders:
        return []
    by_id = {order.id: order for order in orders}
    items = session.exec(select(OrderItem).where(col(OrderItem.order_id).in_(list(by_id)))).all()
    return [
        Purchase(
            item.product_id,
            item.title,
            by_id[item.order_id].name,
            by_id[item.order_id].delivered_at,
        )
        for item in items
    ]


def _named_product(
    session: Session, question: str, hits: list[Hit], bought: set[uuid.UUID]
) -> uuid.UUID | None:
    """A product the customer names ("your hair mask") that is not one they bought."""
    ranked = list(dict.fromkeys(hit.product_id for hit in hits if hit.product_id is not None))
    ids = ranked + [pid for pid in bought if pid not in ranked]
    if not ids:
        return None
    titles: dict[uuid.UUID, str] = dict.fromkeys(ids, "")
    for product_id, title in session.execute(
        sa.text(
            "SELECT id, title FROM products WHERE id = ANY(:ids) UNION ALL "
            "SELECT product_id, body FROM product_sections "
            "WHERE section = 'title' AND product_id = ANY(:ids)"
        ),
        {"ids": ids},
    ):
        titles[product_id] = f"{titles[product_id]} {title}"
    return named_product(question, titles, bought)


def _hits_per_purchase(
    session: Session, question: str, embedder: Embedder, inquiry: Inquiry
) -> list[Hit]:
    """ "Can I use both?": each bought product's best chunks, taking turns, each searched with
    the other products' names so that what its page says about them comes first."""
    ids = list(dict.fromkeys(p.product_id for p in inquiry.purchases if p.product_id))
    titles = _titles_in(session, ids[:TOGETHER], inquiry.language)
    per_product = []
    for product_id in titles:
        others = " ".join(
            " ".join(name_words(title)) for other, title in titles.items() if other != product_id
        )
        query = f"{question} {others}"
        ranked = search(session, query, embedder, k=DEEP, prefer_products={product_id})
        per_product.append([hit for hit in ranked if hit.product_id == product_id])
    return [hit for turn in itertools.zip_longest(*per_product) for hit in turn if hit is not None]


def _titles_in(session: Session, ids: list[uuid.UUID], language: str) -> dict[uuid.UUID, str]:
    """Product names in the reply's language where the store has them: the names are searched
    with a question, and "rosemary oil" would find the English FAQ for a Turkish question."""
    rows = session.execute(
        sa.text(
            "SELECT p.id, coalesce(t.body, p.title) FROM products p LEFT JOIN product_sections t "
            "ON t.product_id = p.id AND t.section = 'title' AND t.language = :language "
            "WHERE p.id = ANY(:ids)"
        ),
        {"ids": ids, "language": language},
    )
    names = {product_id: name for product_id, name in rows}
    return {product_id: names[product_id] for product_id in ids if product_id in names}


def find_sources(
    session: Session, inquiry: Inquiry, embedder: Embedder, query: str | None = None
) -> list[Source]:
    """The store's knowledge that best matches the question, the customer's products first,
    in the reply's language where the store has it."""
    question = query or inquiry.text
    bought = {p.product_id for p in inquiry.purchases if p.product_id is not None}
    named = _named_product(session, question, search(session, question, embedder, k=10), bought)
    prefer = {named} if named is not None else bought
    # "can my son use it" is answered by a page that says "children": look for those words too.
    wanted = " ".join([question, *search_hints(question, inquiry.language)])
    if named is None and len(bought) > 1 and asks_about_several(question):
        hits = _hits_per_purchase(session, wanted, embedder, inquiry)
    else:
        hits = search(session, wanted, embedder, k=2 * SOURCES, prefer_products=prefer)
    if named is None and bought and POINTS_AT_PURCHASE.search(fold(question)):
        # "is it ok for sensitive skin?": "it" is what they bought, however well another
        # product's page matches the rest of the question.
        hits = [hit for hit in hits if hit.product_id in bought] or hits
    hits = hits[:SOURCES]
    sources = []
    for number, hit in enumerate(hits, start=1):
        text = hit.text.split(": ", 1)[1] if ": " in hit.text else hit.text
        language = hit.language
        if language != inquiry.language and hit.product_id and hit.section != "faq":
            translated = best_section_text(session, hit.product_id, hit.section, inquiry.language)
            if translated:
                text, language = translated, inquiry.language
        sources.append(
            Source(
                f"S{number}", hit.chunk_id, hit.product_id, hit.product, hit.section, language, text
            )
        )
    return sources
