"""A tiny per-process circuit breaker for the after-commit delivery hooks.

The hooks run in the request thread right after an approval commits. When Redis (channel layer
or Celery broker) is down, every request would otherwise wait for its own connection attempt;
after one failure the hooks stop trying for a while and leave the rows to the scheduled jobs,
which always try (they are how we find out Redis is back).
"""

from __future__ import annotations

import threading
import time


class Circuit:
    def __init__(self, name: str, *, cool_off_seconds: float) -> None:
        self.name = name
        self.cool_off_seconds = cool_off_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True while recent failures say "don't try now"."""
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cool_off_seconds

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0
