"""The application clock, re-exported where deadlines always read it (``config.clock``)."""

from config.clock import ZERO, _database_clock, database_now, now, offset, to_app_time, today

__all__ = ["ZERO", "_database_clock", "database_now", "now", "offset", "to_app_time", "today"]
