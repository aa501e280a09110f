"""Every error leaves as {"error": {"code", "message"}} with the right status; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from recete_app.backend.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotConfigured,
    NotFound,
    ProviderError,
    RateLimited,
    RecetError,
    Unauthorized,
)
from recete_app.backend.http.responses import error_response
from recete_app.backend.scraping.errors import ScrapeError

log = logging.getLogger(__name__)

# The domain's errors carry no HTTP status: this table gives them one. The first class an error
# is an instance of decides, so a subclass comes before its base.
STATUSES: tuple[tuple[type[RecetError], int], ...] = (
    (InvalidInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (NotConfigured, 503),
    # A link that cannot be read is the caller's input to fix, not our upstream failing.
    (ScrapeError, 422),
    (ProviderError, 502),
    (RecetError, 400),
)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RecetError, _recete_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)


def status_of(error: RecetError) -> int:
    return next(status for cls, status in STATUSES if isinstance(error, cls))


def recete_error_response(exc: RecetError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(status_of(exc), exc.code, exc.message, exc.details, headers)


async def _recete_error(_request: Request, exc: RecetError) -> JSONResponse:
    return recete_error_response(exc)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return error_response(422, "invalid_body", "The request body must be a JSON object.")
    fields = [_field_problem(e) for e in errors]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return error_response(422, "invalid_input", message, fields)


def _field_problem(error: dict[str, Any]) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]  # where it was sent, not a field (a field may be called "body")
    return {"field": ".".join(loc) or "body", "message": str(error.get("msg", "invalid"))}


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side.")
