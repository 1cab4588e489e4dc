"""SMS senders: one interface, a console implementation for development, and Twilio.

Every sender raises only ``TransientSendError`` or ``PermanentSendError`` for provider trouble,
so the send actor does not need to know which provider is behind it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifier.errors import (
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
    classify_error,
)
from shared.phones import mask
from shared.segments import segment_count
from shared.settings import SmsSettings, get_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a text."""

    provider_id: str
    status: str


class SmsSender(Protocol):
    """Sends one text; raises ``TransientSendError`` or ``PermanentSendError`` on failure."""

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        """Hand ``body`` to the provider for delivery to ``to`` (E.164) from ``from_``."""
        ...

    def find_sent(
        self, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> str | None:
        """The provider id of this very text if the provider has it (sent since ``since``),
        leaving out the ids in ``exclude`` (texts of the same words already recorded).

        Used to recover a message whose worker died between the send and storing the answer.
        """
        ...

    def close(self) -> None:
        """Release connections; the sender must not be used afterwards."""
        ...


class ConsoleSender:
    """Writes texts to the log instead of sending them: local development and demos."""

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        """Log the text (recipient masked) and pretend the provider queued it.

        INFO says only who (masked) and how long: a message body is personal data. The body
        itself is logged at DEBUG, for a developer reading the demo's texts (``--verbose``).
        """
        provider_id = f"CONSOLE-{uuid.uuid4()}"
        logger.info(
            "console SMS %s to %s from %s (%d characters, %d segment(s))",
            provider_id,
            mask(to),
            mask(from_),
            len(body),
            segment_count(body),
        )
        logger.debug("console SMS %s body: %s", provider_id, body)
        return SendResult(provider_id=provider_id, status="queued")

    def find_sent(
        self, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> str | None:
        """A log line cannot be looked up: an interrupted console text is logged again."""
        return None

    def close(self) -> None:
        """Nothing to release."""


class RebasingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Twilio's HTTP client, pointed at another API host and never without a timeout.

    The twilio library builds https://api.twilio.com URLs itself; rewriting the URL here lets tests,
    benchmarks and the demo run the real client against the local fake.
    """

    def __init__(self, api_base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/") if api_base else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request to ``api_base`` instead of Twilio, with the configured timeout."""
        if self.api_base:
            # Any Twilio host (edges and regions have their own) goes to the configured base.
            parts = urlsplit(url)
            url = self.api_base + urlunsplit(("", "", parts.path, parts.query, parts.fragment))
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()


class TwilioSender:
    """Sends through Twilio's Messages API with the official client."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        """``api_base`` replaces https://api.twilio.com (a local fake); None means Twilio."""
        # twilio's client logs every request (method, URL, headers) at INFO; that is noise in
        # a worker's log at every text, and a tenth of its time per text. Failures still show.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self._http = RebasingHttpClient(api_base, timeout_seconds)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        # ``Client.messages`` imports its domain lazily on every access; under many worker
        # threads that import lock was a fifth of the send time, so resolve it once.
        self._messages = self._client.messages

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        """Create the message at Twilio; map failures to transient or permanent errors."""
        extra: dict[str, str] = {}
        if status_callback is not None:
            extra["status_callback"] = status_callback
        try:
            message = self._messages.create(to=to, from_=from_, body=body, **extra)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _map_twilio_error(exc, to) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            if _never_connected(exc):
                raise TransientSendError(f"could not reach Twilio: {exc}") from exc
            # A read timeout or a cut connection: Twilio may have queued the text. Sending it
            # again now could text the rider twice, so recovery asks Twilio first.
            raise UncertainSendError(
                f"could not reach Twilio (no answer, it may have the text): {exc}"
            ) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise UncertainSendError(f"Twilio's answer was cut off: {exc}") from exc
        logger.debug("Twilio accepted %s to %s (%s)", message.sid, mask(to), message.status)
        return SendResult(provider_id=str(message.sid), status=str(message.status))

    def find_sent(
        self, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> str | None:
        """Look the text up in Twilio's message list (by recipient, sender, day and body)."""
        try:
            # Twilio filters by day; the body and creation time narrow it to this text.
            listed = self._messages.list(
                to=to, from_=from_, date_sent_after=since.date(), limit=200
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _map_twilio_error(exc, to) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientSendError(f"could not reach Twilio: {exc}") from exc
        for message in listed:
            created = message.date_created
            if (
                message.body == body
                and (created is None or created >= since)
                and str(message.sid) not in exclude
            ):
                return str(message.sid)
        return None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached Twilio: the connection was never made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # requests wraps urllib3's errors: MaxRetryError(reason=NewConnectionError) when the
    # connection was refused or the name did not resolve. By name: urllib3 is not ours to import.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return any(cls.__name__ == "NewConnectionError" for cls in type(reason).__mro__)


def _map_twilio_error(
    exc: TwilioRestException | TwilioServiceException, to: str
) -> TransientSendError | PermanentSendError:
    status = int(exc.status) if exc.status is not None else None
    code = int(exc.code) if exc.code is not None else None
    if classify_error(code, status) == "retry":
        return TransientSendError(f"Twilio is busy or failing (HTTP {status}, code {code})", code)
    return PermanentSendError(
        f"Twilio refused the text to {mask(to)} (HTTP {status}, code {code}); "
        f"see https://www.twilio.com/docs/errors/{code}",
        code,
        status,
    )


def build_sender(settings: SmsSettings | None = None) -> SmsSender:
    """Build the sender the settings ask for (console unless SMS_BACKEND=twilio)."""
    sms = settings if settings is not None else get_settings().sms
    if sms.sms_backend == "console":
        return ConsoleSender()
    if not sms.twilio_account_sid or sms.twilio_auth_token is None:
        raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    return TwilioSender(
        sms.twilio_account_sid,
        sms.twilio_auth_token.get_secret_value(),
        api_base=sms.twilio_api_base,
        timeout_seconds=sms.twilio_timeout_seconds,
    )
