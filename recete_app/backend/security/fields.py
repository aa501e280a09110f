"""Which columns hold encrypted values, and re-encrypting them under the current key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from recete_app.backend.models import Customer, CustomerExport, ExternalEvent, Integration
from recete_app.backend.security.crypto import (
    blind_index,
    decrypt_field,
    email_index,
    encrypt_field,
    needs_reencryption,
    phone_grams,
)

PHONE = "customers.phone"
EMAIL = "customers.email"
INTEGRATION_SECRETS = "integrations.secrets"
WEBHOOK_BODY = "external_events.raw_body"
CUSTOMER_EXPORT = "customer_exports.document"
PHONE_COLUMNS = ("phone_encrypted", "phone_index", "phone_grams")
PAGE = 1000  # rows re-encrypted per read


def stored_phone(phone: str | None) -> dict[str, Any]:
    """A customer's phone columns for this E.164 phone (all None without one): the ciphertext,
    the blind index that finds the whole number and the digit grams that find part of it.
    Written together so no column is left behind."""
    if not phone:
        return dict.fromkeys(PHONE_COLUMNS)
    return {
        "phone_encrypted": encrypt_field(phone, PHONE),
        "phone_index": blind_index(phone),
        "phone_grams": phone_grams(phone),
    }


def stored_email(email: str | None) -> dict[str, Any]:
    """A customer's email columns: the ciphertext and the blind index that finds it."""
    if not email:
        return {"email_encrypted": None, "email_index": None}
    return {"email_encrypted": encrypt_field(email, EMAIL), "email_index": email_index(email)}


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[SQLModel]
    column: str
    context: str


ENCRYPTED_COLUMNS = (
    EncryptedColumn(Customer, "phone_encrypted", PHONE),
    EncryptedColumn(Customer, "email_encrypted", EMAIL),
    EncryptedColumn(Integration, "secrets", INTEGRATION_SECRETS),
    EncryptedColumn(ExternalEvent, "raw_body", WEBHOOK_BODY),
    EncryptedColumn(CustomerExport, "document", CUSTOMER_EXPORT),
)


def reencrypt_merchant(session: Session) -> int:
    """Re-encrypt this merchant's values under the current key and refresh blind indexes."""
    changed = 0
    for spec in ENCRYPTED_COLUMNS:
        for row in _rows_holding(session, spec):
            value = getattr(row, spec.column)
            if needs_reencryption(value):
                plain = decrypt_field(value, spec.context)
                setattr(row, spec.column, encrypt_field(plain, spec.context))
                changed += 1
    for customer in session.exec(
        select(Customer).where(col(Customer.phone_encrypted).is_not(None))
    ):
        assert customer.phone_encrypted is not None
        phone = decrypt_field(customer.phone_encrypted, PHONE)
        index, grams = blind_index(phone), phone_grams(phone)
        if (customer.phone_index, customer.phone_grams) != (index, grams):
            customer.phone_index, customer.phone_grams = index, grams
            changed += 1
    for customer in session.exec(
        select(Customer).where(col(Customer.email_encrypted).is_not(None))
    ):
        assert customer.email_encrypted is not None
        index = email_index(decrypt_field(customer.email_encrypted, EMAIL))
        if customer.email_index != index:
            customer.email_index = index
            changed += 1
    return changed


def _rows_holding(session: Session, spec: EncryptedColumn) -> Iterator[Any]:
    """The rows with a value in the column, PAGE at a time in id order: stored webhook bodies
    run to millions of rows, and reading a column's rows all at once held them all in memory."""
    value, row_id = getattr(spec.model, spec.column), getattr(spec.model, "id")  # noqa: B009
    after = None
    while True:
        query = select(spec.model).where(col(value).is_not(None))
        if after is not None:
            query = query.where(col(row_id) > after)
        page = session.exec(query.order_by(col(row_id)).limit(PAGE)).all()
        yield from page
        if len(page) < PAGE:
            return
        after = getattr(page[-1], "id")  # noqa: B009
        session.flush()  # changed rows are held until flushed; flushed, they can be let go
