"""What the OpenAPI document says about every route besides its own success: the one error
shape (DESIGN §4) for any 4xx, and the two ways to authenticate. Clients and Schemathesis read
it, so an error body that differs from this is a bug the test command finds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel, Field

# Declared for the document only (auto_error=False): `http.auth` reads the headers itself.
SESSION = HTTPBearer(
    auto_error=False,
    scheme_name="session",
    description="A dashboard session from POST /api/auth/login, or an API key as a Bearer token.",
)
API_KEY = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from POST /api/api-keys; the REST API needs the admin scope.",
)


class FieldProblem(BaseModel):
    field: str = Field(examples=["steps.0.offset_days"])
    message: str = Field(examples=["Input should be less than or equal to 365"])


class ErrorInfo(BaseModel):
    code: str = Field(examples=["invalid_input"])
    message: str
    details: list[FieldProblem] | None = None  # a 422 names each bad field here


class ErrorBody(BaseModel):
    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": ErrorBody,
        "description": "The request cannot be done as sent: 400 malformed JSON, 401 not signed "
        "in, 403 missing scope, 404 not found (also another store's object), 409 conflict, "
        "413 too large, 422 invalid input naming each field, 429 rate limited.",
    }
}


# Every creating POST takes it (routes name it `idempotency_key: IdempotencyHeader = None`).
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Sent again with the same key and the same request, the request returns "
        "what the first one created and creates or sends nothing; with another request, 409 "
        "idempotency_key_reused. Keys are kept for 30 days.",
    ),
]
