"""Webhooks kept while the database is away: the journal and the Redis list, in order, once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from shared import held
from shared.held import DatabaseAway, HeldWebhook, JournalStore, RedisStore
from shared.settings import reset_settings


def _hooks(count: int) -> list[HeldWebhook]:
    return [
        HeldWebhook("inbound", {"MessageSid": f"SM{i}", "Body": f"hi {i}\n"}) for i in range(count)
    ]


def test_a_webhook_survives_the_round_trip_through_json() -> None:
    hook = HeldWebhook("status", {"MessageSid": "SM1", "MessageStatus": "delivered", "Body": "雨"})
    assert HeldWebhook.from_json(hook.to_json()) == hook
    assert "\n" not in _hooks(1)[0].to_json()


def test_the_journal_hands_back_every_webhook_in_order_then_is_empty(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "held.jsonl")
    for hook in _hooks(5):
        store.keep(hook)
    assert store.count() == 5
    seen: list[str] = []
    assert store.replay(lambda hook: seen.append(hook.params["MessageSid"])) == 5
    assert seen == [f"SM{i}" for i in range(5)]
    assert store.count() == 0
    assert store.replay(lambda hook: seen.append("again")) == 0


def test_an_outage_during_replay_keeps_the_rest_for_the_next(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "held.jsonl")
    for hook in _hooks(4):
        store.keep(hook)
    seen: list[str] = []

    def fails_at_third(hook: HeldWebhook) -> None:
        if len(seen) == 2:
            raise DatabaseAway("gone again")
        seen.append(hook.params["MessageSid"])

    with pytest.raises(DatabaseAway):
        store.replay(fails_at_third)
    store.keep(HeldWebhook("inbound", {"MessageSid": "SM-late"}))
    assert store.count() == 3
    store.replay(lambda hook: seen.append(hook.params["MessageSid"]))
    # The ones left from the cut replay first, then the one kept meanwhile.
    assert seen == ["SM0", "SM1", "SM2", "SM3", "SM-late"]
    assert store.count() == 0


def test_a_webhook_that_can_never_succeed_goes_to_the_dead_letters(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "held.jsonl")
    for hook in _hooks(3):
        store.keep(hook)
    with store.path.open("ab") as journal:
        journal.write(b"not json\n")

    def broken(hook: HeldWebhook) -> None:
        if hook.params["MessageSid"] == "SM1":
            raise RuntimeError("a bug")

    assert store.replay(broken) == 2
    dead = store.dead_path.read_text().splitlines()
    assert len(dead) == 2 and HeldWebhook.from_json(dead[0]).params["MessageSid"] == "SM1"
    assert store.count() == 0


def test_one_replayer_at_a_time_per_journal(tmp_path: Path) -> None:
    store, other = JournalStore(tmp_path / "held.jsonl"), JournalStore(tmp_path / "held.jsonl")
    store.keep(_hooks(1)[0])
    inner: list[int] = []
    store.replay(lambda hook: inner.append(other.replay(lambda _: None)))
    assert inner == [0]


def test_the_redis_list_hands_back_in_order_and_keeps_the_rest(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.client.delete(held.REDIS_KEY, held.REDIS_DEAD_KEY, held.REDIS_REPLAY_LOCK)
    try:
        for hook in _hooks(3):
            store.keep(hook)
        seen: list[str] = []

        def fails_at_second(hook: HeldWebhook) -> None:
            if seen:
                raise DatabaseAway("gone again")
            seen.append(hook.params["MessageSid"])

        with pytest.raises(DatabaseAway):
            store.replay(fails_at_second)
        assert store.count() == 2
        assert store.replay(lambda hook: seen.append(hook.params["MessageSid"])) == 2
        assert seen == ["SM0", "SM1", "SM2"] and store.count() == 0
        assert store.client.get(held.REDIS_REPLAY_LOCK) is None
    finally:
        store.client.delete(held.REDIS_KEY, held.REDIS_DEAD_KEY, held.REDIS_REPLAY_LOCK)
        store.client.close()


def test_keep_falls_back_to_the_journal_when_redis_is_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setenv("HELD_JOURNAL_PATH", str(tmp_path / "held.jsonl"))
    reset_settings()
    assert held.keep(_hooks(1)[0]) == "journal"
    assert held.held_count() is None  # Redis cannot say how many it holds
    assert JournalStore(tmp_path / "held.jsonl").count() == 1


def test_keep_says_none_when_nothing_can_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("HELD_JOURNAL_PATH", str(blocked / "held.jsonl"))  # under a file
    reset_settings()
    assert held.keep(_hooks(1)[0]) is None
    assert held.replay(lambda hook: None) == 0


def test_the_journal_is_private_to_its_owner(tmp_path: Path) -> None:
    store = JournalStore(tmp_path / "held.jsonl")
    store.keep(_hooks(1)[0])
    assert os.stat(store.path).st_mode & 0o077 == 0


def test_the_redis_client_gives_up_quickly() -> None:
    store = RedisStore("redis://127.0.0.1:1/0")
    with pytest.raises(redis.ConnectionError):
        store.keep(_hooks(1)[0])
