"""Failed sign-ins, counted so an attacker cannot lock the owner out of an account.

Each failure counts for the account and for the address it came from. An address is refused
when it failed LOGIN_RATE_LIMIT times on the account itself, or when the account as a whole has
(many addresses guessing) and this address is one of those that failed. An address that never
failed on the account, such as the owner's with the right password, is always let through.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import RateLimitItem, parse_many

from app.extensions import limiter

SCOPE = "sign-in-failures"


def _limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_RATE_LIMIT"])


def seconds_to_wait(account: str, address: str) -> int:
    """0 when `address` may try to sign in to `account` now, else how long it must wait."""
    if not limiter.enabled:
        return 0
    resets = []
    for item in _limits():
        here = limiter.limiter.get_window_stats(item, SCOPE, account, address)
        if here.remaining == 0:
            resets.append(here.reset_time)
        elif here.remaining < item.amount:
            overall = limiter.limiter.get_window_stats(item, SCOPE, account)
            if overall.remaining == 0:
                resets.append(overall.reset_time)
    if not resets:
        return 0
    return max(1, math.ceil(max(resets) - time.time()))


def record_failure(account: str, address: str) -> None:
    """Count a wrong password (or unknown account) for the account and for the address."""
    if not limiter.enabled:
        return
    for item in _limits():
        limiter.limiter.hit(item, SCOPE, account, address)
        limiter.limiter.hit(item, SCOPE, account)


def forget_failures(account: str, address: str) -> None:
    """After a successful sign-in: the address's earlier typos no longer count against it."""
    if not limiter.enabled:
        return
    for item in _limits():
        limiter.limiter.clear(item, SCOPE, account, address)
