"""Webhooks kept while the database is away, handed back in arrival order when it returns.

Twilio retries a failed SMS webhook a few times and then gives up, so a text that arrives while
PostgreSQL is unreachable would be lost if the webhook only answered 503. Instead the webhook
keeps the signed form it received, durably:

- in Redis (a list, ``rides:held``) when ``REDIS_URL`` is set and Redis answers; the compose
  file runs Redis with its append-only file, so a kept text survives a Redis restart;
- otherwise in a local journal, one JSON line per webhook appended and ``fsync``'d before the
  webhook answers (``HELD_JOURNAL_PATH``).

Only when neither can keep it does the webhook answer 503 (Twilio then retries).

``replay`` hands kept webhooks back, oldest first, to a handler that processes them once the
database is back. A webhook is removed only after its handler returned, so a crash between the
two replays it again; handlers are idempotent (inbound texts by their unique MessageSid). A
webhook whose handler fails for another reason than the database (a bug) is moved aside to a
dead-letter list or file rather than blocking those behind it, and logged.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

import redis

from shared.models import utcnow
from shared.settings import get_settings

log = logging.getLogger(__name__)

Kind = Literal["inbound", "status"]
REDIS_KEY = "rides:held"
REDIS_DEAD_KEY = "rides:held:dead"
REDIS_REPLAY_LOCK = "rides:held:replaying"
_REDIS_TIMEOUT = 2.0
_REPLAY_LOCK_SECONDS = 120


@dataclass(frozen=True)
class HeldWebhook:
    """One webhook as it arrived: which endpoint, its form fields, and when."""

    kind: Kind
    params: dict[str, str]
    received_at: datetime = field(default_factory=utcnow)

    def to_json(self) -> str:
        """One line of JSON (no newline inside: ``json.dumps`` escapes them)."""
        return json.dumps(
            {"kind": self.kind, "params": self.params, "at": self.received_at.isoformat()},
            ensure_ascii=True,
        )

    @classmethod
    def from_json(cls, line: str | bytes) -> HeldWebhook:
        """Read back what ``to_json`` wrote."""
        data = json.loads(line)
        kind = data["kind"]
        if kind not in ("inbound", "status"):
            raise ValueError(f"unknown held webhook kind {kind!r}")
        params = {str(k): str(v) for k, v in data["params"].items()}
        return cls(kind, params, datetime.fromisoformat(data["at"]))


class DatabaseAway(Exception):
    """Raised by a replay handler when the database went away again: stop, keep the rest."""


Handler = Callable[[HeldWebhook], None]


class Store(Protocol):
    """Somewhere held webhooks are kept."""

    name: str

    def keep(self, webhook: HeldWebhook) -> None: ...

    def count(self) -> int: ...

    def replay(self, handle: Handler) -> int: ...


class RedisStore:
    """Held webhooks in a Redis list, oldest at the head."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=_REDIS_TIMEOUT, socket_timeout=_REDIS_TIMEOUT
        )

    def keep(self, webhook: HeldWebhook) -> None:
        self.client.rpush(REDIS_KEY, webhook.to_json())

    def count(self) -> int:
        return int(self.client.llen(REDIS_KEY))

    def replay(self, handle: Handler) -> int:
        token = uuid.uuid4().hex
        # One replayer at a time across every web process, so texts stay in arrival order.
        if not self.client.set(REDIS_REPLAY_LOCK, token, nx=True, ex=_REPLAY_LOCK_SECONDS):
            return 0
        done = 0
        try:
            while True:
                raw = self.client.lindex(REDIS_KEY, 0)
                if raw is None:
                    return done
                if _handle_one(raw, handle):
                    done += 1
                else:
                    self.client.rpush(REDIS_DEAD_KEY, raw)
                # LREM of this exact value: the head only ever changes by a replayer's removal.
                self.client.lrem(REDIS_KEY, 1, raw)
                self.client.expire(REDIS_REPLAY_LOCK, _REPLAY_LOCK_SECONDS)
        finally:
            if self.client.get(REDIS_REPLAY_LOCK) == token.encode():
                self.client.delete(REDIS_REPLAY_LOCK)


class JournalStore:
    """Held webhooks in an append-only file of JSON lines, each ``fsync``'d before answering.

    Appends and the replayer's hand-over take an exclusive ``flock`` on a lock file beside the
    journal, so web processes sharing the folder never lose a line: the replayer renames the
    journal aside under the lock, then works through the renamed file outside it; what is left
    when the database goes away again stays in that file for the next replay, which takes such
    files first (oldest first).
    """

    name = "journal"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._replay_lock_path = path.with_name(path.name + ".replay-lock")
        self.dead_path = path.with_name(path.name + ".dead")

    @contextmanager
    def _locked(self, lock_path: Path, blocking: bool = True) -> Iterator[bool]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def keep(self, webhook: HeldWebhook) -> None:
        line = (webhook.to_json() + "\n").encode()
        with self._locked(self._lock_path):
            _append(self.path, line)

    def _pending_files(self) -> list[Path]:
        aside = sorted(self.path.parent.glob(self.path.name + ".replaying-*"))
        return [*aside, self.path] if self.path.exists() else aside

    def count(self) -> int:
        if not self.path.parent.exists():
            return 0
        total = 0
        for path in self._pending_files():
            with path.open("rb") as opened:
                total += sum(1 for line in opened if line.strip())
        return total

    def replay(self, handle: Handler) -> int:
        if not self.path.parent.exists() or not self._pending_files():
            return 0  # nothing kept: no lock files made either
        done = 0
        with self._locked(self._replay_lock_path, blocking=False) as mine:
            if not mine:
                return 0
            if self.path.exists():
                with self._locked(self._lock_path):
                    aside = self.path.with_name(
                        f"{self.path.name}.replaying-{utcnow():%Y%m%dT%H%M%S%f}"
                    )
                    os.replace(self.path, aside)
            for path in sorted(self.path.parent.glob(self.path.name + ".replaying-*")):
                lines = [line for line in path.read_bytes().splitlines() if line.strip()]
                for index, line in enumerate(lines):
                    try:
                        ok = _handle_one(line, handle)
                    except DatabaseAway:
                        _rewrite(path, lines[index:])
                        raise
                    if ok:
                        done += 1
                    else:
                        _append(self.dead_path, line + b"\n")
                path.unlink()
                _fsync_folder(path.parent)
        return done


def _append(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _rewrite(path: Path, lines: list[bytes]) -> None:
    """Replace ``path`` by ``lines`` atomically (the rest of a replay cut short)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(b"".join(line + b"\n" for line in lines))
    with temporary.open("rb") as opened:
        os.fsync(opened.fileno())
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _handle_one(raw: str | bytes, handle: Handler) -> bool:
    """Run the handler on one kept webhook; False when it can never succeed (dead letter).

    ``DatabaseAway`` passes through: the webhook stays where it is.
    """
    try:
        webhook = HeldWebhook.from_json(raw)
    except (ValueError, KeyError, TypeError):
        log.error("a held webhook could not be read; moved to the dead letters")
        return False
    try:
        handle(webhook)
    except DatabaseAway:
        raise
    except Exception:
        log.exception("a held %s webhook failed; moved to the dead letters", webhook.kind)
        return False
    return True


_stores_lock = threading.Lock()
_stores: dict[tuple[str | None, str], list[Store]] = {}


def stores() -> list[Store]:
    """The configured stores, in the order they are tried: Redis (when set), then the journal."""
    settings = get_settings().app
    key = (settings.redis_url, str(settings.held_journal_path))
    with _stores_lock:
        if key not in _stores:
            chosen: list[Store] = []
            if settings.redis_url:
                chosen.append(RedisStore(settings.redis_url))
            chosen.append(JournalStore(Path(settings.held_journal_path)))
            _stores[key] = chosen
        return _stores[key]


def keep(webhook: HeldWebhook) -> str | None:
    """Keep ``webhook`` in the first store that takes it; its name, or None when none could."""
    for store in stores():
        try:
            store.keep(webhook)
        except (redis.RedisError, OSError) as exc:
            log.error("could not keep a held webhook in %s: %s", store.name, type(exc).__name__)
            continue
        log.warning("database unavailable: %s webhook kept in %s", webhook.kind, store.name)
        return store.name
    return None


def held_count() -> int | None:
    """How many webhooks wait for the database, over every store; None when one cannot say."""
    total = 0
    for store in stores():
        try:
            total += store.count()
        except (redis.RedisError, OSError):
            return None
    return total


def replay(handle: Handler) -> int:
    """Hand every kept webhook to ``handle``, oldest first per store; how many were handled.

    Stops at ``DatabaseAway`` (raised again), leaving that webhook and the rest kept.
    """
    done = 0
    for store in stores():
        try:
            done += store.replay(handle)
        except (redis.RedisError, OSError) as exc:
            log.warning("could not replay held webhooks from %s: %s", store.name, exc)
    return done
