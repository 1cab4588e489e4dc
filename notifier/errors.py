"""The notifier's error hierarchy and the table that says what a Twilio error code means.

Senders raise exactly two kinds of send error, so the send actor needs one ``except`` per
decision: ``TransientSendError`` (try again later) and ``PermanentSendError`` (stop, and record
why). ``classify_error`` is shared by the senders and by the status-callback handler, because
Twilio reports the same codes synchronously (HTTP 400 on create) and asynchronously
(``ErrorCode`` on an ``undelivered`` callback).
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["retry", "opted_out", "undeliverable", "failed"]
"""What the caller should do with a message after an error."""

# Twilio error codes: https://www.twilio.com/docs/api/errors
TOO_MANY_REQUESTS = 20429
OPTED_OUT = 21610
INVALID_TO_NUMBER = 21211
NOT_A_MOBILE_NUMBER = 21614
UNKNOWN_DESTINATION_HANDSET = 30005
LANDLINE_OR_UNREACHABLE_CARRIER = 30006

_OUTCOMES: dict[int, Outcome] = {
    TOO_MANY_REQUESTS: "retry",
    OPTED_OUT: "opted_out",
    INVALID_TO_NUMBER: "undeliverable",
    NOT_A_MOBILE_NUMBER: "undeliverable",
    UNKNOWN_DESTINATION_HANDSET: "undeliverable",
    LANDLINE_OR_UNREACHABLE_CARRIER: "undeliverable",
}


def classify_error(code: int | None, http_status: int | None = None) -> Outcome:
    """Say what to do after Twilio reported ``code`` (and/or answered ``http_status``).

    A known code decides; otherwise HTTP 429 and 5xx are worth retrying and anything else
    (other 4xx, unknown codes) is a permanent failure a person should look at.
    """
    if code is not None and code in _OUTCOMES:
        return _OUTCOMES[code]
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return "retry"
    return "failed"


class NotifierError(Exception):
    """Base class for every error the notifier raises on purpose."""


class TemplateError(NotifierError):
    """A template could not be rendered: unknown template, missing or invalid field."""


class SendError(NotifierError):
    """Sending one text failed; ``code`` is Twilio's error code when there is one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientSendError(SendError):
    """The provider could not take the text right now (network, timeout, 5xx, 429): retry."""


class UncertainSendError(TransientSendError):
    """The request went out but no answer came back (a read timeout, a cut connection): the
    provider may have the text. It is not sent again until recovery has asked the provider."""


class PermanentSendError(SendError):
    """The provider refused the text for good; retrying the same request cannot succeed."""

    def __init__(
        self, message: str, code: int | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message, code)
        self.http_status = http_status

    @property
    def outcome(self) -> Outcome:
        """``opted_out``, ``undeliverable`` or ``failed``: how to mark the message."""
        outcome = classify_error(self.code, self.http_status)
        # A permanent error is never "retry", even if a code says so in another context.
        return "failed" if outcome == "retry" else outcome
