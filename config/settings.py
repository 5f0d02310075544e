"""Settings: one module, driven by the environment.

Two modes share every line of code below:

* ``APP_MODE=demo`` (the default): zero set-up. SQLite, the in-memory channel
  layer, e-mail written to files under ``var/``, Celery tasks run eagerly and the
  scheduled jobs run in the demo server's own scheduler loop.
* ``APP_MODE=production``: every secret and address must come from the
  environment (``SECRET_KEY`` or ``SECRET_KEY_FILE``, ``DATABASE_URL``,
  ``REDIS_URL``, ``ALLOWED_HOSTS``, ``EMAIL_URL``); a missing one stops start-up
  with ImproperlyConfigured instead of falling back to something unsafe.

In either mode ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL,
channels-redis and a Celery broker. ``deploy/env.example`` lists every variable.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, *, default: str | None = None) -> str:
    """Read NAME, or the file named by NAME_FILE (Docker/systemd secrets); fail loudly if neither."""
    file_var = f"{name}_FILE"
    if env.str(file_var, default=""):
        return Path(env.str(file_var)).read_text().strip()
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


APP_MODE = env.str("APP_MODE", default="demo")
if APP_MODE not in {"demo", "production"}:
    raise ImproperlyConfigured(f"APP_MODE must be 'demo' or 'production', not {APP_MODE!r}")
PRODUCTION = APP_MODE == "production"
DEMO = not PRODUCTION

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")


def _demo_secret_key() -> str:
    """A per-checkout random key for the demo, kept out of the repository."""
    path = BASE_DIR / ".demo-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY") if PRODUCTION else _secret("SECRET_KEY", default="") or _demo_secret_key()

ALLOWED_HOSTS = (
    env.list("ALLOWED_HOSTS")
    if PRODUCTION
    else env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # django.contrib.staticfiles, skipping the node_modules copies viewflow ships (collectstatic
    # with the manifest storage stops on them).
    "ops.staticfiles.StaticFilesConfig",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "channels",
    "viewflow",
    "viewflow.workflow",
    "directory",
    "planning",
    "approvals",
    "workflows",
    "notifications",
    "dossier",
    "deadlines",
    "documents",
    "demo",
    "ops",
]

MIDDLEWARE = [
    # First: every later middleware, view, log line and audit row sees the request id.
    "ops.middleware.RequestIDMiddleware",
    "ops.middleware.MetricsMiddleware",
    # The demo clock's offset read once per request, not by every date the request computes.
    "config.clock.RequestClockMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Under /api/, every error answer is JSON {"detail", "code"} (404, 413, 503, any 500, …).
    "config.middleware.APIErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The idle timeout: last-seen time written at most once a minute (config/sessions.py).
    "config.sessions.IdleTimeoutMiddleware",
    # After a write, this browser reads the primary for a few seconds (config/db_router.py).
    "config.db_router.ReadYourWritesMiddleware",
    "config.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # viewflow's own pages need it; listed here because VIEWFLOW["AUTOREGISTER"] is off.
    "viewflow.middleware.SiteMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
# viewflow would append its Hotwire Turbo middleware, which turns a POST answered with 200 into
# 422 (viewflow issue #453) and breaks downloads from forms: keep the middleware list ours.
VIEWFLOW = {"AUTOREGISTER": False}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_count",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------

DATABASES = {
    "default": environ.Env.db_url_config(
        _secret("DATABASE_URL", default=None if PRODUCTION else f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# 0: Django's persistent connections are not reused under ASGI (each request may run in a new
# thread) and pile up; a connection pool (psycopg's, below) or PgBouncer does that job instead.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# The roll-up's covering index (INCLUDE columns) is PostgreSQL's; SQLite builds it without them.
SILENCED_SYSTEM_CHECKS = [] if USING_POSTGRES else ["models.W040"]
# psycopg's connection pool, per process: measured by the benchmark at about twice the
# transitions per second of a new connection per request. Off behind PgBouncer.
if USING_POSTGRES and env.bool("DB_POOL", default=PRODUCTION):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=10),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
# Two roles (deploy/roles.sql): DATABASE_URL is the application's restricted role; the role that
# owns the tables is DATABASE_OWNER_URL, given only to `manage.py migrate` (which connects as it
# and then re-grants the application role: ops/management/commands/migrate.py) and the backup job.
# Unset: migrate runs as DATABASE_URL's role, as with a single role.
_owner_url = _secret("DATABASE_OWNER_URL", default="")
DATABASE_OWNER = environ.Env.db_url_config(_owner_url) if _owner_url else None
if DATABASE_OWNER and (
    DATABASE_OWNER["ENGINE"] != "django.db.backends.postgresql"
    or DATABASE_OWNER["NAME"] != DATABASES["default"]["NAME"]
):
    raise ImproperlyConfigured("DATABASE_OWNER_URL must name the same PostgreSQL database as DATABASE_URL")
# PgBouncer in transaction mode (deploy/pgbouncer.sh): a server connection changes hands between
# transactions, so no server-side cursors (an .iterator() cursor would be lost) and no prepared
# statements (psycopg binds client-side in Django; prepare_threshold=None makes sure); no
# persistent connections or pool of our own (PgBouncer is the pool).
DB_BEHIND_PGBOUNCER = env.bool("DB_BEHIND_PGBOUNCER", default=False)
if USING_POSTGRES and DB_BEHIND_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.pop("pool", None)
    _options["prepare_threshold"] = None
# A streaming replica (deploy/replica.sh) for reports, dashboards and exports: config/db_router.py
# sends only the reads inside `read_replica()` there, falls back to the primary when the replica
# is down or more than REPLICA_MAX_LAG_SECONDS behind, and pins a browser to the primary for
# READ_YOUR_WRITES_SECONDS after each of its writes.
_replica_url = _secret("DATABASE_REPLICA_URL", default="")
if _replica_url:
    DATABASES["replica"] = environ.Env.db_url_config(_replica_url)
    DATABASES["replica"]["CONN_MAX_AGE"] = 0
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("REPLICA_CONNECT_TIMEOUT", default=2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the test runner makes no database there
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
REPLICA_HEALTH_SECONDS = env.float("REPLICA_HEALTH_SECONDS", default=2.0)
READ_YOUR_WRITES_SECONDS = env.int("READ_YOUR_WRITES_SECONDS", default=10)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs the web server and its scheduler in one process: wait for the write lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _secret("REDIS_URL", default=None if PRODUCTION else "")

# Messages a web process may have waiting for its sockets. channels-redis keeps one queue per
# process for all of its sockets, not one per socket, and drops what exceeds it (logged at INFO
# only): its default of 100 lost a third of a push to 500 officers held by two processes. A
# commit's push is one message per recipient's socket, so this must exceed the sockets of a
# process times the pushes that can arrive before it drains them (small messages: 5,000 ≈ 5 MB).
CHANNEL_CAPACITY = env.int("CHANNEL_CAPACITY", default=5000)
CHANNEL_READ_TIMEOUT_SECONDS = 15
# What every channel-layer host gets besides its address (see CHANNEL_LAYERS below).
CHANNEL_HOST_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": CHANNEL_READ_TIMEOUT_SECONDS}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's layer plus group_send_many (a commit's pushes in a few round trips).
            "BACKEND": "notifications.layers.RedisChannelLayer",
            "CONFIG": {
                # Bound the connect to a dead Redis. Reads: a socket's receive blocks in BZPOPMIN
                # for up to the layer's brpop_timeout (5 s), and redis-py 8 times reads out at 5 s
                # by default, so an idle socket's receive raised TimeoutError and closed the
                # socket; the read timeout must outlast the blocking pop.
                "hosts": [{"address": REDIS_URL, **CHANNEL_HOST_OPTIONS}],
                "capacity": CHANNEL_CAPACITY,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": CHANNEL_CAPACITY}}
    }

# Redis is never on the approval or login path: the cache is per process.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Jobs ------------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A commit's pushes have their own queue, consumed by a worker of its own (-Q push; the default
# worker runs -Q celery: e-mails, one task per commit, and the scheduled jobs), so they never wait
# behind the e-mails and reminders. A worker started without -Q consumes both, taking them in turn.
CELERY_TASK_QUEUES = (Queue("push"), Queue("celery"))
CELERY_TASK_ROUTES = {"notifications.tasks.deliver_task": {"queue": "push"}}
# Who pushes a commit's notifications and enqueues their e-mails: a Celery worker (production,
# and the benchmark, which runs one) or the request itself after commit (the demo, which runs no
# worker; with Redis set a worker-bound push would otherwise wait for the 30-s push job).
NOTIFICATIONS_VIA_WORKER = env.bool("NOTIFICATIONS_VIA_WORKER", default=PRODUCTION)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
# How often the scheduled jobs run, in seconds (Celery beat in production, the demo loop otherwise).
SCHEDULER_INTERVAL_SECONDS = env.int("SCHEDULER_INTERVAL_SECONDS", default=60)

# --- Authentication and sessions -------------------------------------------------------------

AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle timeout: config.sessions.IdleTimeoutMiddleware signs out a session unseen for
# SESSION_IDLE_MINUTES; it writes the last-seen time at most every SESSION_TOUCH_SECONDS instead of
# saving the session on every request. The row outlives the timeout by one touch interval.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_TOUCH_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)

# guardian: no anonymous user row, and no global permission ever widens object checks.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Security --------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env.bool("BEHIND_TLS_PROXY", default=PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"] if DEMO else ["'self'", "wss:"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Internationalisation --------------------------------------------------------------------

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_THOUSAND_SEPARATOR = True
# Vietnamese officers read dates as dd/mm/yyyy and numbers as 162.756 / 38,50.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# --- Stored files (issued documents, attachments) -------------------------------------------
# The demo keeps them under var/media; production may use an S3-compatible store through
# django-storages (STORAGE_S3_BUCKET set; credentials as boto3 reads them: AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, or the instance's role).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: downloads go through views that check the agency
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")
_default_storage = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("STORAGE_S3_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if STORAGE_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(MEDIA_ROOT)}}
)
# --- end of stored files

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files (plan attachments, issued documents) are never served from a public URL: the
# views of dossier and documents check access.
# Largest attachment accepted (bytes; checked by dossier.services.attachment_upload).
DOSSIER_MAX_UPLOAD_BYTES = env.int("DOSSIER_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
WHITENOISE_USE_FINDERS = DEMO
WHITENOISE_AUTOREFRESH = DEMO  # the demo serves straight from the source folders, no collectstatic

# --- E-mail ----------------------------------------------------------------------------------

_email = environ.Env.email_url_config(_secret("EMAIL_URL", default=None if PRODUCTION else "filemail://"))
EMAIL_BACKEND = (
    "django.core.mail.backends.filebased.EmailBackend"
    if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    else _email["EMAIL_BACKEND"]
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
for _key in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL"):
    if _key in _email:
        globals()[_key] = _email[_key]
# Well below the outbox's 300 s e-mail claim, so a hung SMTP server cannot cause a double send.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ctmtqg-gnbv@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",  # documents the error answers (config.errors)
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # JSON bounded in size (DATA_UPLOAD_MAX_MEMORY_SIZE) and nesting (API_JSON_MAX_DEPTH).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Largest request body outside file uploads (Django's default, 2.5 MB); over it the API answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# A JSON body nested deeper than this is refused with 400 (the API's deepest body is 3 levels).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# How long a retried action with the same idempotency key gets the first answer again; older
# records are deleted by the hourly "idempotency-purge" job.
IDEMPOTENCY_KEEP_DAYS = env.int("IDEMPOTENCY_KEEP_DAYS", default=7)
SPECTACULAR_SETTINGS = {
    "TITLE": "CTMTQG giảm nghèo bền vững — API",
    "DESCRIPTION": "Planning and approval workflow of the National Target Program for Sustainable Poverty Reduction.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name per choice set used by several serializers.
    "ENUM_NAME_OVERRIDES": {
        "PlanTypeEnum": "planning.models.PlanType",
        "UnitStructureEnum": "directory.models.Structure",
        "CycleStructureEnum": "planning.models.CYCLE_STRUCTURES",
    },
    # Swagger UI from local static files (no CDN; the CSP allows only 'self').
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Deadlines (meaning and defaults: deadlines/conf.py) ------------------------------------

# Catalogues of an ended period that a later plan may still carry, as continuing tasks, and
# until when: "2021-2025:2026-12-31" lets 2026 plans keep 2021-2025 lines (Resolution
# 257/2025/QH15: the old programmes' tasks may run and be disbursed until 31/12/2026).
PLANNING_CONTINUING_CATALOGUES = {
    period: date.fromisoformat(until)
    for period, _sep, until in (
        entry.partition(":") for entry in env.list("PLANNING_CONTINUING_CATALOGUES", default=["2021-2025:2026-12-31"])
    )
}

DEADLINES_WEEKEND_DAYS = tuple(env.list("DEADLINES_WEEKEND_DAYS", cast=int, default=[5, 6]))
DEADLINES_BEFORE_IS_STRICT = env.bool("DEADLINES_BEFORE_IS_STRICT", default=True)
DEADLINES_DAY_OFF_RULE = env.str("DEADLINES_DAY_OFF_RULE", default="previous")  # previous|next|stay
DEADLINES_REMINDER_DAYS = tuple(env.list("DEADLINES_REMINDER_DAYS", cast=int, default=[5, 2, 1]))
DEADLINES_REMIND_ON_DUE_DAY = env.bool("DEADLINES_REMIND_ON_DUE_DAY", default=True)
DEADLINES_OVERDUE_EVERY_DAYS = env.int("DEADLINES_OVERDUE_EVERY_DAYS", default=2)
DEADLINES_OVERDUE_REMINDERS = env.int("DEADLINES_OVERDUE_REMINDERS", default=10)
DEADLINES_ESCALATE_HEAD_AFTER_DAYS = env.int("DEADLINES_ESCALATE_HEAD_AFTER_DAYS", default=1)
DEADLINES_ESCALATE_PARENT_AFTER_DAYS = env.int("DEADLINES_ESCALATE_PARENT_AFTER_DAYS", default=3)
DEADLINES_REMINDER_HOUR = env.int("DEADLINES_REMINDER_HOUR", default=8)
DEADLINES_AT_RISK_DAYS = env.int("DEADLINES_AT_RISK_DAYS", default=3)
DEADLINES_MIN_DAYS_TO_ACT = env.int("DEADLINES_MIN_DAYS_TO_ACT", default=2)
DEADLINES_RETURN_GRACE_DAYS = env.int("DEADLINES_RETURN_GRACE_DAYS", default=5)
DEADLINES_SWEEP_BATCH = env.int("DEADLINES_SWEEP_BATCH", default=1000)
DEADLINES_SWEEP_MAX_BATCHES = env.int("DEADLINES_SWEEP_MAX_BATCHES", default=50)
DEADLINES_SWEEP_WORKERS = env.int("DEADLINES_SWEEP_WORKERS", default=2)
DEADLINES_RETRY_MINUTES = env.int("DEADLINES_RETRY_MINUTES", default=10)

# --- Issued documents (documents/) ----------------------------------------------------------

# How issued PDFs are signed: "demo" (the demo CA's keys under var/, refused in production),
# "csc" (a remote signing service, Cloud Signature Consortium API v1) or "token" (the signer's
# own token: the server prepares the hash, the signer's side returns the signature).
DOCUMENTS_SIGNING_BACKEND = env.str("DOCUMENTS_SIGNING_BACKEND", default="csc" if PRODUCTION else "demo")
if DOCUMENTS_SIGNING_BACKEND not in {"demo", "csc", "token"}:
    raise ImproperlyConfigured("DOCUMENTS_SIGNING_BACKEND must be 'demo', 'csc' or 'token'")
if PRODUCTION and DOCUMENTS_SIGNING_BACKEND == "demo":
    raise ImproperlyConfigured("DOCUMENTS_SIGNING_BACKEND=demo keeps keys on the server: refused in production")
DOCUMENTS_DEMO_PKI_DIR = Path(env.str("DOCUMENTS_DEMO_PKI_DIR", default=str(VAR_DIR / "demo-pki")))
# The remote signing service's base URL (".../csc/v1" is appended) and its OAuth bearer token.
DOCUMENTS_CSC_URL = env.str("DOCUMENTS_CSC_URL", default="")
DOCUMENTS_CSC_TOKEN = _secret("DOCUMENTS_CSC_TOKEN", default="")
# A timestamp authority (RFC 3161): set, signatures are PAdES B-T; empty, B-B.
DOCUMENTS_TSA_URL = env.str("DOCUMENTS_TSA_URL", default="")
# Trust roots of the verification page (PEM/DER files): the national root CA in production;
# the demo root by default in demo mode.
DOCUMENTS_TRUST_ROOTS = env.list(
    "DOCUMENTS_TRUST_ROOTS", default=[] if PRODUCTION else [str(DOCUMENTS_DEMO_PKI_DIR / "root-ca.pem")]
)
# The largest PDF the verification page reads (nginx's client_max_body_size is 20m).
DOCUMENTS_VERIFY_MAX_BYTES = env.int("DOCUMENTS_VERIFY_MAX_BYTES", default=20 * 1024 * 1024)
# A TrueType font with every Vietnamese letter for the visible signature ("" finds Liberation Sans).
DOCUMENTS_SIGNATURE_FONT = env.str("DOCUMENTS_SIGNATURE_FONT", default="")

# --- Operations --------------------------------------------------------------------------

# /metrics answers a bearer token, or a caller from these networks.
METRICS_TOKEN = _secret("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# Workers log through LOGGING below (JSON with request_id), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Logging ---------------------------------------------------------------------------------

LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logs.RequestIDFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ops.logs.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task run is noise at INFO; failures still log at WARNING/ERROR.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# --- Project -------------------------------------------------------------------------------

# Tests that need PostgreSQL fail instead of skipping when this is set (CI sets it).
REQUIRE_POSTGRES = env.bool("REQUIRE_POSTGRES", default=False)
