"""Tracked journey links: a journey message's link goes out as `{public URL}/r/{token}`; a
click is counted (once per person, not per link-preview fetch) and redirected to the store with
the journey step as its UTM campaign.

The token is random and opaque: the URL says nothing about the customer, the order or the
merchant. A click finds its link through the `link_lookup` policy (a transaction that knows the
token sees that one row), then counts it in the merchant's own scope."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from recete_app.backend.analytics.events import SendFact, record_facts
from recete_app.backend.config import get_settings
from recete_app.backend.db import current_merchant_id, enter_tenant, session_scope
from recete_app.backend.models import AnalyticsEventName, TrackedLink

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_LINKS = TrackedLink.__table__  # type: ignore[attr-defined]
# Link-preview fetchers and crawlers: redirected like anyone, never counted. WhatsApp fetches
# every link it shows a preview of ("WhatsApp/2.23.20.0 A"), as do Meta's crawlers.
_FETCHERS = re.compile(
    r"whatsapp/|facebookexternalhit|facebot|meta-external|twitterbot|telegrambot|slackbot"
    r"|slack-imgproxy|discordbot|linkedinbot|skypeuripreview|pinterest|redditbot|embedly"
    r"|iframely|vkshare|viber|snapchat|applebot|googlebot|google-inspectiontool|googleother"
    r"|bingbot|yandex|duckduckbot|baiduspider|petalbot|ahrefs|semrush"
    r"|(?:bot|crawler|spider)(?:[/;)\s-]|$)|^(?:curl|wget|python-requests|go-http-client)/",
    re.IGNORECASE,
)
UTM = {"utm_source": "recete", "utm_medium": "whatsapp"}


def tracked_url(
    session: Session, subject_id: uuid.UUID, step: str, subject_at: datetime, target: str
) -> str:
    """The link to send instead of `target` in this journey send: the same one every time the
    send is composed again (a retry), a new one for each send."""
    token = session.execute(
        insert(_LINKS)
        .values(
            id=uuid.uuid4(),
            merchant_id=current_merchant_id(session),
            token=secrets.token_urlsafe(16),
            subject_id=subject_id,
            step=step[:80],
            subject_at=subject_at,
            target=target[:2000],
            clicks=0,
        )
        .on_conflict_do_update(
            constraint="uq_tracked_links_subject_target", set_={"subject_at": subject_at}
        )
        .returning(_LINKS.c.token)
    ).scalar_one()
    return link_url(token)


def link_url(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/r/{token}"


def is_link_preview(user_agent: str | None) -> bool:
    """A fetcher or crawler rather than a person (no user agent at all counts as one)."""
    return not (user_agent or "").strip() or _FETCHERS.search(user_agent or "") is not None


def with_campaign(target: str, step: str) -> str:
    """The store URL with Recete's UTM tags (any the link already had are replaced); a link
    that is not a URL Python can take apart is sent on as it is (the customer still lands)."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return target
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in UTM]
    query += [*UTM.items(), ("utm_campaign", step)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Click:
    redirect_to: str
    counted: bool


def follow(token: str, user_agent: str | None, *, count: bool = True) -> Click | None:
    """Where `/r/{token}` goes, the click counted unless a fetcher made it (or `count` is off:
    a HEAD request); None for a token that is malformed or unknown. One transaction: the link
    is found through its token, then counted in its merchant's scope."""
    if TOKEN.fullmatch(token) is None:
        return None
    with session_scope(lookups={"link_token": token}) as session:
        found = session.exec(
            select(TrackedLink.merchant_id, TrackedLink.target, TrackedLink.step).where(
                TrackedLink.token == token
            )
        ).first()
        if found is None:
            return None
        merchant_id, target, step = found
        counted = count and not is_link_preview(user_agent)
        if counted:
            _count(session, merchant_id, token)
    return Click(with_campaign(target, step), counted)


# The click counts on the day its message went out: the send's own time when it was recorded
# (the link was made a moment before, when the message was composed).
_COUNT = sa.text(
    """
    UPDATE tracked_links AS l SET clicks = clicks + 1, last_clicked_at = :now,
        first_clicked_at = coalesce(first_clicked_at, :now)
    WHERE token = :token
    RETURNING l.subject_id, l.step, l.clicks, coalesce(
        (SELECT e.subject_at FROM analytics_events e
         WHERE e.subject_id = l.subject_id AND e.name = 'sent'),
        l.subject_at) AS subject_at
    """
)


def _count(session: Session, merchant_id: uuid.UUID, token: str) -> None:
    """Count the click in the merchant's scope, from here to the end of this transaction."""
    enter_tenant(session, merchant_id)
    now = datetime.now(UTC)
    row = session.execute(_COUNT, {"token": token, "now": now}).first()
    if row is not None and row.clicks == 1:
        fact = SendFact(
            AnalyticsEventName.CLICKED, row.subject_id, row.step, row.subject_at, {}, now
        )
        record_facts(session, [fact])
