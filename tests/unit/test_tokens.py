from __future__ import annotations

import time
import uuid

import pytest
from pydantic import SecretStr

from recete_app.backend.config import Settings
from recete_app.backend.security.tokens import (
    InvalidTokenError,
    SessionClaims,
    issue_token,
    read_token,
)

S = Settings(secret_key=SecretStr("token-secret-" + "t" * 40))


def claims(expires_in: int = 3600) -> SessionClaims:
    return SessionClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), int(time.time()) + expires_in)


def test_token_carries_session_account_and_merchant() -> None:
    original = claims()
    assert read_token(issue_token(original, S), S) == original


def test_expired_token_is_refused() -> None:
    with pytest.raises(InvalidTokenError):
        read_token(issue_token(claims(expires_in=-10), S), S)


def test_token_signed_with_another_secret_is_refused() -> None:
    other = Settings(secret_key=SecretStr("another-secret-" + "o" * 40))
    with pytest.raises(InvalidTokenError):
        read_token(issue_token(claims(), other), S)


def test_altered_token_is_refused() -> None:
    token = issue_token(claims(), S)
    header, payload, signature = token.split(".")
    with pytest.raises(InvalidTokenError):
        read_token(f"{header}.{payload}x.{signature}", S)
    with pytest.raises(InvalidTokenError):
        read_token("not a token", S)
