"""Thin test override: fast, strict and self-contained, on whatever DATABASE_URL/REDIS_URL say."""

from config.settings import *  # noqa: F403
from config.settings import CHANNEL_CAPACITY, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
SECURE_SSL_REDIRECT = False
# Unit tests use the in-memory layer; tests of the Redis layer build their own from REDIS_URL.
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": CHANNEL_CAPACITY}}
}
TEST_REDIS_URL = REDIS_URL
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# One batch at a time per sweep call: the tests of concurrent sweeps (tests/deadlines/
# test_sweep_concurrency.py) run two sweeps in two threads and kill one by its thread's name;
# a sweep's own worker threads are tested in tests/deadlines/test_sweep_parallel.py.
DEADLINES_SWEEP_WORKERS = 1
