"""Login, logout and the check every authenticated request makes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from recete_app.backend import audit
from recete_app.backend.accounts.scopes import grants
from recete_app.backend.accounts.signup import normalize_email
from recete_app.backend.config import get_settings
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput, RateLimited, Unauthorized
from recete_app.backend.models import Account, AuthSession, Merchant
from recete_app.backend.security.passwords import hash_password, needs_rehash, verify_password
from recete_app.backend.security.rate_limits import default_limits, shared_rate_limiter
from recete_app.backend.security.tokens import (
    InvalidTokenError,
    SessionClaims,
    issue_token,
    read_token,
)

WRONG_CREDENTIALS = "Wrong email or password."


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account (session) or an API key, always inside one merchant."""

    merchant_id: uuid.UUID
    actor: str
    account_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()  # an API key's; a person's session needs none

    @property
    def is_person(self) -> bool:
        return self.api_key_id is None and self.session_id is not None

    def allows(self, scope: str) -> bool:
        return self.is_person or grants(self.scopes, scope)


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    merchant_id: uuid.UUID
    account_id: uuid.UUID
    store_name: str
    email: str


def _find_account(email: str) -> Account | None:
    with session_scope(lookups={"login_email": email}) as session:
        return session.exec(select(Account).where(Account.email == email)).first()


def log_in(email: str, password: str, *, address: str | None = None) -> LoginResult:
    """`address` is the client's network address (None when there is none, e.g. the CLI: such
    attempts share one budget per email)."""
    try:
        clean_email = normalize_email(email)
    except InvalidInput as exc:
        raise Unauthorized(WRONG_CREDENTIALS, code="wrong_credentials") from exc
    _spend_login_attempt(clean_email, address or "unknown")
    account = _find_account(clean_email)
    if not verify_password(account.password_hash if account else None, password or ""):
        raise Unauthorized(WRONG_CREDENTIALS, code="wrong_credentials")
    assert account is not None
    with session_scope(account.merchant_id) as session:
        return _open_session(session, account.id, password)


def _spend_login_attempt(email: str, address: str) -> None:
    """Guess budgets shared by the API and the dashboard (which bypasses the HTTP limits): per
    email and address, then a wider one per email from anywhere. Counting per email alone let
    anyone lock the owner out with nine wrong passwords. An attempt its address is refused
    spends nothing of the wider budget, so one address cannot use that up either."""
    limits = default_limits(get_settings())
    # The address comes first and holds no "/", so the key is unambiguous.
    budgets = ((limits["login"], f"{address}/{email}"), (limits["login_any_address"], email))
    for limit, key in budgets:
        verdict = shared_rate_limiter().hit(limit, key)
        if not verdict.allowed:
            minutes = max(1, round(verdict.retry_after / 60))
            raise RateLimited(
                f"Too many login attempts for this email. Try again in {minutes} minute(s).",
                retry_after=verdict.retry_after,
            )


def _open_session(session: Session, account_id: uuid.UUID, password: str) -> LoginResult:
    account = session.get_one(Account, account_id)
    merchant = session.get_one(Merchant, account.merchant_id)
    now = datetime.now(UTC)
    expires_at = now + timedelta(hours=get_settings().session_ttl_hours)
    auth_session = AuthSession(
        merchant_id=merchant.id, account_id=account.id, expires_at=expires_at
    )
    session.add(auth_session)
    account.last_login_at = now
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    audit.record(session, f"account:{account.id}", "account.logged_in", target=account.email)
    token = issue_token(
        SessionClaims(auth_session.id, account.id, merchant.id, int(expires_at.timestamp()))
    )
    return LoginResult(token, expires_at, merchant.id, account.id, merchant.name, account.email)


def authenticate_session(token: str) -> Principal:
    try:
        claims = read_token(token)
    except InvalidTokenError as exc:
        raise Unauthorized("Your session has expired. Please log in again.") from exc
    with session_scope(claims.merchant_id) as session:
        row = session.get(AuthSession, claims.session_id)
        if row is None or not _belongs_and_lives(row, claims):
            raise Unauthorized("Your session has expired. Please log in again.")
    return Principal(
        merchant_id=claims.merchant_id,
        actor=f"account:{claims.account_id}",
        account_id=claims.account_id,
        session_id=claims.session_id,
    )


def _belongs_and_lives(row: AuthSession, claims: SessionClaims) -> bool:
    """The row is the session of the token's account and merchant, and still open: a token
    naming another account of the same session must not act as that account."""
    return (
        row.account_id == claims.account_id
        and row.merchant_id == claims.merchant_id
        and row.revoked_at is None
        and row.expires_at > datetime.now(UTC)
    )


def log_out(token: str) -> None:
    """Revoke the session; an already invalid token is simply ignored."""
    try:
        principal = authenticate_session(token)
    except Unauthorized:
        return
    with session_scope(principal.merchant_id) as session:
        row = session.get_one(AuthSession, principal.session_id)
        row.revoked_at = datetime.now(UTC)
        audit.record(session, principal.actor, "account.logged_out")


@dataclass(frozen=True)
class Me:
    merchant_id: uuid.UUID
    store_name: str
    account_id: uuid.UUID | None
    email: str | None


def describe(principal: Principal) -> Me:
    with session_scope(principal.merchant_id) as session:
        merchant = session.get_one(Merchant, principal.merchant_id)
        account = session.get(Account, principal.account_id) if principal.account_id else None
        return Me(
            merchant.id,
            merchant.name,
            account.id if account else None,
            account.email if account else None,
        )
