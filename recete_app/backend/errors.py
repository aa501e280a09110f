"""The application's error type. The HTTP layer turns it into {"error": {"code", "message"}}."""

from __future__ import annotations

from typing import Any


class RecetError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class InvalidInput(RecetError):
    status = 422
    code = "invalid_input"


class Conflict(RecetError):
    status = 409
    code = "conflict"


class Unauthorized(RecetError):
    status = 401
    code = "unauthorized"


class Forbidden(RecetError):
    status = 403
    code = "forbidden"


class NotFound(RecetError):
    status = 404
    code = "not_found"


class RateLimited(RecetError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
