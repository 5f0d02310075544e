"""Settings for ``bench.run --db-pool``: the project's settings plus Django's psycopg pool.

An experiment, not a proposal of file layout: it shows what a connection pool changes under
uvicorn, where Django runs each request in a thread of its own, so ``CONN_MAX_AGE`` keeps no
connection worth keeping. Needs ``psycopg-pool`` (``psycopg[pool]``) importable. Django
refuses a pool together with persistent connections, hence ``CONN_MAX_AGE = 0``.
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 8, "timeout": 10}
