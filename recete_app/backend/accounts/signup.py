"""Sign-up: a new merchant (the store) and its owner account, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from recete_app.backend import audit
from recete_app.backend.db import session_scope
from recete_app.backend.errors import Conflict, InvalidInput
from recete_app.backend.models import Account, Merchant
from recete_app.backend.security.passwords import hash_password, password_problem

MAX_STORE_NAME = 200


@dataclass(frozen=True)
class NewMerchant:
    merchant_id: uuid.UUID
    account_id: uuid.UUID
    store_name: str
    email: str


def normalize_email(raw: str) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"Enter a valid email address: {exc}", code="invalid_email") from exc


def validate_signup(store_name: str, email: str, password: str) -> tuple[str, str]:
    """Return the cleaned (store name, email), or raise with every problem listed."""
    problems: dict[str, str] = {}
    name = " ".join((store_name or "").split())
    if not name:
        problems["store_name"] = "Store name is required."
    elif len(name) > MAX_STORE_NAME:
        problems["store_name"] = f"Store name must be at most {MAX_STORE_NAME} characters."
    clean_email = ""
    try:
        clean_email = normalize_email(email)
    except InvalidInput as exc:
        problems["email"] = exc.message
    weak = password_problem(password or "", clean_email)
    if weak:
        problems["password"] = weak
    if problems:
        message = " ".join(problems.values())
        details = [{"field": field, "message": text} for field, text in problems.items()]
        raise InvalidInput(message, code="invalid_signup", details=details)
    return name, clean_email


def email_taken(email: str) -> bool:
    with session_scope(lookups={"login_email": email}) as session:
        return session.exec(select(Account.id).where(Account.email == email)).first() is not None


def create_merchant(
    session: Session, merchant_id: uuid.UUID, store_name: str, email: str, password: str
) -> NewMerchant:
    session.add(Merchant(id=merchant_id, name=store_name))
    session.flush()
    account = Account(
        merchant_id=merchant_id,
        email=email,
        name="",
        role="owner",
        password_hash=hash_password(password),
    )
    session.add(account)
    session.flush()
    audit.record(session, f"account:{account.id}", "merchant.signed_up", target=email)
    return NewMerchant(merchant_id, account.id, store_name, email)


def sign_up(store_name: str, email: str, password: str) -> NewMerchant:
    name, clean_email = validate_signup(store_name, email, password)
    if email_taken(clean_email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    merchant_id = uuid.uuid4()
    try:
        with session_scope(merchant_id) as session:
            return create_merchant(session, merchant_id, name, clean_email, password)
    except IntegrityError as exc:
        # Two sign-ups racing for one email: the unique constraint decides.
        raise Conflict("An account with this email already exists.", code="email_taken") from exc
