"""Login attempts per account and per client address, in a sliding window.

Kept in the web process's memory: a restart forgets them, which only gives an attacker a fresh
window, and several web workers each keep their own (so the limit is per worker).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Counts refused logins by key; a key over its limit is refused before the password check."""

    def __init__(
        self,
        per_account: int,
        per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        seen = self._failures.setdefault(key, deque())
        while seen and seen[0] <= now - self._window:
            seen.popleft()
        return seen

    def blocked(self, account: str, address: str) -> bool:
        """True when either the account or the address used up its attempts."""
        now = self._clock()
        with self._lock:
            return any(
                len(self._recent((kind, value), now)) >= self._limits[kind]
                for kind, value in (("account", account), ("address", address))
            )

    def failed(self, account: str, address: str) -> None:
        """Count one refused login against both keys."""
        now = self._clock()
        with self._lock:
            for key in (("account", account), ("address", address)):
                self._recent(key, now).append(now)

    def succeeded(self, account: str) -> None:
        """A good password clears the account's count (not the address's)."""
        with self._lock:
            self._failures.pop(("account", account), None)
