"""Customer contact masking. Everyone sees a complaint's customer masked except the people
handling it: the first receiver, the current handler, and holders of `complaint.view_unmasked`
over its hall (the hall's manager, the branch manager), and they only when they ask. Revealing is
a logged service (complaints.services.reveal_customer_contact); this module only decides and masks."""

from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.utils.crypto import salted_hmac

from halls.permissions import has_permission

MASK = "*"


@dataclass(frozen=True)
class CustomerContact:
    name: str
    phone: str
    masked: bool


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def phone_hash(phone: str) -> str:
    """A keyed hash of the normalised phone: equal for the same customer, useless without the key."""
    digest = salted_hmac(
        "complaints.phone_hash", normalise_phone(phone), secret=settings.SECRET_KEY, algorithm="sha256"
    )
    return sha256(digest.digest()).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits survive; short numbers keep two at each end."""
    phone = phone.strip()
    if len(phone) >= 11:
        return phone[:3] + MASK * (len(phone) - 7) + phone[-4:]
    if len(phone) > 4:
        return phone[:2] + MASK * (len(phone) - 4) + phone[-2:]
    return MASK * len(phone)


def mask_name(name: str) -> str:
    """张** / J***: the first character survives."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + MASK * max(len(name) - 1, 1)


def may_view_unmasked(user, complaint) -> bool:
    """The first receiver, the current handler, or a holder of complaint.view_unmasked over the
    complaint's hall (needs complaint.hall.region loaded)."""
    if not user.is_authenticated:
        return False
    if user.pk in (complaint.first_receiver_id, complaint.current_handler_id):
        return True
    return has_permission(user, "complaint.view_unmasked", hall=complaint.hall)


def masked_contact(complaint) -> CustomerContact:
    return CustomerContact(
        name=mask_name(complaint.customer_name), phone=mask_phone(complaint.customer_phone), masked=True
    )
