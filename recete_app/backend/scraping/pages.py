"""What the fetcher hands to extraction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    url: str  # the final URL, after redirects
    status: int
    content_type: str  # the media type only, lower case: "text/html", "application/json"
    body: bytes
    charset: str | None = None

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")
