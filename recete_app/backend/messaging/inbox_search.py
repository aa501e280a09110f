"""Finding a customer in the inbox by name, whole phone number, or part of one.

Phones are stored encrypted. A whole number is found through its blind index; part of one
through the digit grams (`customers.phone_grams`), which narrow the customers down to a few
whose phones are decrypted to confirm.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import phonenumbers
import sqlalchemy as sa
from sqlmodel import Session, col

from recete_app.backend.models import Conversation, Customer
from recete_app.backend.phones import InvalidPhoneError, normalize_phone
from recete_app.backend.security.crypto import (
    blind_index,
    decrypt_field,
    digit_grams,
    email_index,
)
from recete_app.backend.security.fields import PHONE

MIN_PHONE_DIGITS = 4  # fewer digits match too many numbers to mean anyone
_PHONE_LIKE = re.compile(r"[\d\s()+.-]+")


def search_filter(session: Session, search: str, *, in_inbox: bool = True) -> Any:
    """The customers (by default: those with a conversation, as the inbox lists) with this
    name, phone number or part of one."""
    text = search.strip()[:100]
    if "@" in text:
        return col(Customer.email_index) == email_index(text)
    try:
        return col(Customer.phone_index) == blind_index(normalize_phone(text))
    except InvalidPhoneError:
        pass
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    full_name = sa.func.concat(Customer.first_name, " ", Customer.last_name)
    by_name = full_name.ilike(pattern, escape="\\")
    typed = re.sub(r"\D", "", text)
    run = _run_of_every_match(typed)
    if len(run) < MIN_PHONE_DIGITS or not _PHONE_LIKE.fullmatch(text):
        return by_name
    found = _customers_whose_phone_has(session, typed, run, in_inbox)
    return sa.or_(by_name, col(Customer.id).in_(found))


def _run_of_every_match(typed: str) -> str:
    """Digits every matching phone holds in a row. A number typed as dialled at home ("07911
    123") or abroad ("0044 7911") starts with a trunk or international prefix that E.164 leaves
    out; the digits after it are in the phone either way. Kept whole when too little is left:
    "0345" is the end of a number, not a prefix and 345."""
    run = typed.lstrip("0")
    return run if len(run) >= MIN_PHONE_DIGITS else typed


def _customers_whose_phone_has(
    session: Session, typed: str, run: str, in_inbox: bool
) -> list[uuid.UUID]:
    """Part of a number ("4567", "532 123"): phones are stored encrypted and the blind index
    only finds a whole number, so the grams of `run` narrow the customers down and their phones
    are decrypted to confirm (a gram stands for several runs of digits)."""
    query = sa.select(col(Customer.id), col(Customer.phone_encrypted)).where(
        col(Customer.phone_grams).contains(digit_grams(run))
    )
    if in_inbox:
        query = query.where(sa.exists().where(col(Conversation.customer_id) == Customer.id))
    rows = session.execute(query).all()
    return [
        customer_id for customer_id, phone in rows if _has_part(decrypt_field(phone, PHONE), typed)
    ]


def _has_part(phone: str, typed: str) -> bool:
    """`typed` is a run of the phone's digits, or its start as dialled from abroad (00, then
    the country code) or at home (the trunk 0, then the national number)."""
    digits = phone.lstrip("+")
    if typed in digits:
        return True
    if typed.startswith("00"):
        return digits.startswith(typed[2:])
    if typed.startswith("0"):
        try:
            national = str(phonenumbers.parse(phone).national_number)
        except phonenumbers.NumberParseException:
            return False
        return national.startswith(typed[1:])
    return False
