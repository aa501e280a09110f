"""/api/auth: sign-up, login, logout, me."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from recete_app.backend.accounts import sessions, signup
from recete_app.backend.http.auth import AdminCaller, bearer_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


class SignUpRequest(BaseModel):
    store_name: str = Field(max_length=500)
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class LoginRequest(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)


class SessionResponse(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_at: datetime
    merchant_id: str
    account_id: str
    store_name: str
    email: str


class MeResponse(BaseModel):
    merchant_id: str
    store_name: str
    account_id: str | None
    email: str | None


def _session_response(result: sessions.LoginResult) -> SessionResponse:
    return SessionResponse(
        token=result.token,
        expires_at=result.expires_at,
        merchant_id=str(result.merchant_id),
        account_id=str(result.account_id),
        store_name=result.store_name,
        email=result.email,
    )


def _address(request: Request) -> str | None:
    """The client's address: login guesses are budgeted per email and address."""
    return request.client.host if request.client else None


@router.post("/signup", status_code=201)
def sign_up(body: SignUpRequest, request: Request) -> SessionResponse:
    signup.sign_up(body.store_name, body.email, body.password)
    return _session_response(sessions.log_in(body.email, body.password, address=_address(request)))


@router.post("/login")
def log_in(body: LoginRequest, request: Request) -> SessionResponse:
    return _session_response(sessions.log_in(body.email, body.password, address=_address(request)))


@router.post("/logout", status_code=204)
def log_out(request: Request) -> None:
    token = bearer_token(request)
    if token:
        sessions.log_out(token)


@router.get("/me")
def me(principal: AdminCaller) -> MeResponse:
    info = sessions.describe(principal)
    return MeResponse(
        merchant_id=str(info.merchant_id),
        store_name=info.store_name,
        account_id=str(info.account_id) if info.account_id else None,
        email=info.email,
    )
