"""Phone numbers: stored normalised (E.164), shown masked to whoever need not see them."""

from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from dispatch.services.errors import InvalidInput


def normalise_phone(raw: str | None, region: str = "CN") -> str | None:
    """Return E.164 ("+8613812345678") or None for an empty value; refuse a malformed one."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput("phone", _("This is not a valid phone number.")) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", _("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.national_significant_number(number)


def mask_phone(e164: str | None) -> str:
    """138****5678: enough to recognise your own number, not enough to call someone."""
    if not e164:
        return ""
    digits = national_digits(e164)
    if len(digits) <= 7:
        return digits[:2] + "*" * (len(digits) - 2)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def display_phone(e164: str | None) -> str:
    return national_digits(e164) if e164 else ""
