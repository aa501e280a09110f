"""Conversations: the inbox (filters, search), one conversation's thread, and what a person does
with it: take over, reply, send a template, hand back, close, resume journey messages. A
background watch refreshes the list and the open thread every 2 s while the page is open."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from recete_app.backend.accounts.sessions import Principal
from recete_app.backend.errors import RecetError
from recete_app.backend.services import conversation_actions
from recete_app.backend.services.conversation_actions import Sent
from recete_app.state import routes
from recete_app.state.conversation_rows import (
    Bubble,
    ConversationItem,
    Snapshot,
    TemplateOption,
    ThreadFacts,
    read_inbox,
)
from recete_app.state.session import (
    MerchantPage,
    current_principal,
    principal_of,
    session_token,
)

POLL_SECONDS = 2.0
VIEWS = ("needs_human", "human", "ai", "closed", "all")
__all__ = ["Bubble", "ConversationItem", "ConversationsState", "TemplateOption"]
Done = TypeVar("Done")


class ConversationsState(MerchantPage, rx.State):
    view: str = "all"
    search: str = ""
    rows: list[ConversationItem] = []
    thread: ThreadFacts = ThreadFacts()
    templates: list[TemplateOption] = []
    template_step: str = ""
    empty_inbox: bool = False  # no conversation at all yet (not just none matching a filter)
    _watch: int = 0  # the running watch's number: a newer one (or leaving the page) ends it

    def _apply(self, snapshot: Snapshot) -> None:
        self.rows = snapshot.rows
        self.empty_inbox = not snapshot.rows and self.view == "all" and not self.search
        self.thread = snapshot.thread
        self.templates = snapshot.templates
        known = {t.id for t in snapshot.templates}
        if self.template_step not in known:
            self.template_step = snapshot.templates[0].id if snapshot.templates else ""

    async def _opened(self, principal: Principal) -> Any:
        await self._reread(principal.merchant_id, principal.account_id)
        return ConversationsState.watch

    @rx.event
    async def set_view(self, view: str | list[str]) -> Any:
        chosen = view if isinstance(view, str) else (view[0] if view else "")
        self.view = chosen if chosen in VIEWS else "all"
        return await self._reload()

    @rx.event
    async def set_search(self, value: str) -> Any:
        self.search = value.strip()[:100]
        return await self._reload()

    @rx.event
    async def open_conversation(self, conversation_id: str) -> Any:
        self.notice = self.error = ""
        self.thread = ThreadFacts(id=conversation_id)
        return await self._reload()

    async def _reload(self) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        await self._reread(principal.merchant_id, principal.account_id)
        return None

    async def _reread(self, merchant_id: uuid.UUID, viewer: uuid.UUID | None = None) -> None:
        """`viewer`: the signed-in person, whose own conversations offer no "Take over"."""
        asked = (self.view, self.search, self.thread.id)
        self._apply(await asyncio.to_thread(read_inbox, merchant_id, *asked, viewer))

    @rx.event
    def set_template_step(self, step_id: str) -> None:
        self.template_step = step_id

    @rx.event
    async def take_over(self) -> Any:
        return await self._act(
            conversation_actions.take_over,
            lambda _: "You own this conversation: the AI stays silent.",
        )

    @rx.event
    async def hand_back(self) -> Any:
        return await self._act(
            conversation_actions.hand_back, lambda _: "Handed back: the AI answers again."
        )

    @rx.event
    async def close_conversation(self) -> Any:
        return await self._act(conversation_actions.close, lambda _: "Closed.")

    @rx.event
    async def resume_journeys(self) -> Any:
        return await self._act(
            conversation_actions.resume_journeys,
            lambda restored: f"Journey messages resumed ({restored} planned step(s) back).",
        )

    async def _act(
        self, action: Callable[[Principal, str], Done], say: Callable[[Done], str]
    ) -> Any:
        principal = await current_principal(self)
        if principal is None:
            return rx.redirect(routes.LOGIN)
        self.notice = self.error = ""
        try:
            done = await asyncio.to_thread(action, principal, self.thread.id)
            self.notice = say(done)
        except RecetError as exc:
            self.error = exc.message
        await self._reread(principal.merchant_id, principal.account_id)
        return None

    @rx.event
    async def send_reply(self, form: dict[str, Any]) -> Any:
        text = str(form.get("text", ""))
        sent = await self._send(conversation_actions.reply_and_send, text)
        return rx.set_value("reply-text", "") if sent else None

    @rx.event
    async def send_template(self) -> Any:
        if not self.template_step:
            self.error = "Choose a template first."
            return None
        await self._send(conversation_actions.send_template_and_send, self.template_step)
        return None

    async def _send(self, send: Callable[[Principal, str, str], Sent], what: str) -> bool:
        """A person's message, committed and sent at once: say what became of it."""
        principal = await current_principal(self)
        if principal is None:
            self.error = "Your session has expired. Please log in again."
            return False
        self.notice = self.error = ""
        try:
            sent = await asyncio.to_thread(send, principal, self.thread.id, what)
        except RecetError as exc:
            self.error = exc.message
            await self._reread(principal.merchant_id, principal.account_id)
            return False
        if sent.outcome == "sent":
            self.notice = "Sent."
        else:
            self.error = f"Not sent ({sent.outcome}): Settings → Planned messages says why."
        await self._reread(principal.merchant_id, principal.account_id)
        return sent.outcome == "sent"

    @rx.event(background=True)
    async def watch(self) -> Any:
        """Every 2 s, while this page is open: the list and the open thread, read off the event
        loop. Leaving the page (or closing the tab) cancels it with the page's load chain; a
        newer watch (the page opened again) ends this one."""
        async with self:
            self._watch += 1
            mine = self._watch
        while True:
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                if self._watch != mine or not self._on_page():
                    return None
                token = await session_token(self)
                asked = (self.view, self.search, self.thread.id)
            principal = await principal_of(token)
            if principal is None:
                return None
            snapshot = await asyncio.to_thread(
                read_inbox, principal.merchant_id, *asked, principal.account_id
            )
            async with self:
                if self._watch != mine:
                    return None
                if (self.view, self.search, self.thread.id) == asked:
                    self._apply(snapshot)

    def _on_page(self) -> bool:
        path = str(self.router.url.path or "").rstrip("/")
        return path in ("", routes.CONVERSATIONS)
