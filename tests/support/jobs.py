"""A job for worker tests: it runs until the test lets it finish, so a test can act mid-job."""

from __future__ import annotations

import time
from pathlib import Path


def hold_until_released(folder: str) -> None:
    """Write `started` in the folder, wait until the test writes `release`, then write `done`.

    It needs no Redis, so it can finish while Redis is down.
    """
    path = Path(folder)
    (path / "started").touch()
    while not (path / "release").exists():
        time.sleep(0.05)
    (path / "done").touch()
