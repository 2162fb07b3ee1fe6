"""Waiting in tests on events, never on the clock.

A test waits for the thing it needs (an event set, a request arrived, a line logged), however
long a busy machine takes. The deadline below only stops a broken test from hanging forever: a
healthy run never gets near it, so it may be generous.
"""

from __future__ import annotations

import logging
import threading

import pytest

HANG_GUARD_SECONDS = 60


def wait_for_event(event: threading.Event, what: str) -> None:
    """Return once `event` is set; fail the test (naming `what`) if it never is."""
    if not event.wait(HANG_GUARD_SECONDS):
        pytest.fail(f"gave up waiting for {what}")


class LogWatch(logging.Handler):
    """A log handler whose `seen` event is set when a record containing `text` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()
