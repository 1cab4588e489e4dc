"""Login attempts are counted per account and per address, in a sliding window."""

from __future__ import annotations

from services.dispatch._throttle import LoginThrottle


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_account_is_blocked_after_its_attempts_until_the_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(per_account=2, per_address=10, window_seconds=60, clock=clock)
    for _ in range(2):
        assert not throttle.blocked("a@example.org", "10.0.0.1")
        throttle.failed("a@example.org", "10.0.0.1")
    assert throttle.blocked("a@example.org", "10.0.0.2")  # from any address
    assert not throttle.blocked("b@example.org", "10.0.0.2")
    clock.now += 61
    assert not throttle.blocked("a@example.org", "10.0.0.1")


def test_an_address_is_blocked_whatever_account_it_tries() -> None:
    throttle = LoginThrottle(per_account=10, per_address=3, window_seconds=60, clock=Clock())
    for number in range(3):
        throttle.failed(f"user{number}@example.org", "10.0.0.9")
    assert throttle.blocked("someone-else@example.org", "10.0.0.9")


def test_a_good_password_clears_the_account_but_not_the_address() -> None:
    throttle = LoginThrottle(per_account=2, per_address=2, window_seconds=60, clock=Clock())
    throttle.failed("a@example.org", "10.0.0.1")
    throttle.succeeded("a@example.org")
    throttle.failed("a@example.org", "10.0.0.3")
    assert not throttle.blocked("a@example.org", "10.0.0.4")
    assert not throttle.blocked("c@example.org", "10.0.0.1")
    throttle.failed("c@example.org", "10.0.0.1")
    assert throttle.blocked("d@example.org", "10.0.0.1")
