"""Texts as Twilio delivers them: the webhook's form, signed with Twilio's own algorithm.

The demo and the simulator post these to the real ``/sms/inbound`` endpoint, so every text
goes through the signature check, the idempotency and the rate limit a real text meets.
"""

from __future__ import annotations

import itertools
import uuid
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

INBOUND_PATH = "/sms/inbound"
_sids = itertools.count(1)


def inbound_form(from_number: str, to_number: str, body: str) -> dict[str, str]:
    """The form fields Twilio posts for one inbound text, with a fresh MessageSid."""
    sid = f"SM{uuid.uuid4().hex[:24]}{next(_sids):08d}"
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_number,
        "To": to_number,
        "Body": body,
        "NumMedia": "0",
    }


def signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a POST of ``form`` to ``url``."""
    return str(RequestValidator(auth_token).compute_signature(url, form))


def twiml_reply(document: str) -> str | None:
    """The text of a TwiML answer, or None for an empty ``<Response/>``."""
    root = ElementTree.fromstring(document)
    message = root.find("Message")
    return message.text if message is not None else None
