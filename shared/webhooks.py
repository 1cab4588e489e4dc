"""Twilio webhook signatures, checked with twilio's own ``RequestValidator``."""

from __future__ import annotations

import logging

from starlette.requests import Request
from twilio.request_validator import RequestValidator

from shared.settings import Settings

log = logging.getLogger(__name__)


def public_url(request: Request, base_url: str) -> str:
    """The URL Twilio signed: our public base URL plus the path and query it called."""
    url = base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return url


def signature_is_valid(request: Request, params: dict[str, str], settings: Settings) -> bool:
    """True when the request carries Twilio's valid signature for ``params``.

    With no auth token configured, requests are refused unless the explicit development switch
    ``SMS_DEV_ALLOW_UNSIGNED`` is on and the app is not in production.
    """
    token = settings.sms.twilio_auth_token
    if token is None:
        allowed = settings.sms.sms_dev_allow_unsigned and settings.app.environment != "production"
        if not allowed:
            log.warning("webhook refused: TWILIO_AUTH_TOKEN is not set")
        return allowed
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(token.get_secret_value())
    return bool(
        validator.validate(public_url(request, settings.app.public_base_url), params, signature)
    )
