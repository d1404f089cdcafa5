"""Settings, read from the environment (django-environ) with safe development defaults.

``DJANGO_ENV`` is ``development`` (the default), ``test`` or ``production``. Production refuses to
start without a secret key and its encryption salts, forces DEBUG off and never mounts the sandbox.
Setting ``DATABASE_URL`` and ``REDIS_URL`` moves from SQLite and the file-system broker to
PostgreSQL and Redis with no code change.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must not start without one
    DEBUG = False
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-7c1f0e4b9a2d48f6b1e3a5c7d9f0b2e4a6c8")
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# DEV_PORT: the port of `make dev` (8000 unless another portal already uses it).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('DEV_PORT', default=8000)}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "axes",
    "csp",
    "simple_history",
    "django_celery_results",
    "portal",
    "agencies",
    "catalogue",
    "carrier",
    "enrollment",
    "members",
    "edi",
    "maintenance",
    "reports",
    "employers",
    "renewals",
]

# The carrier sandbox is the carrier's test environment; it is never mounted in production.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=not PRODUCTION)
if PRODUCTION and SANDBOX_ENABLED:
    raise ImproperlyConfigured("The carrier sandbox must never be enabled in production.")
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    # First: X-Forwarded-* from anyone but the trusted proxy is dropped before anything reads it.
    "portal.proxy.TrustedProxyHeadersMiddleware",
    "portal.middleware.RequestBodyLimitMiddleware",  # before anything reads a body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.PersonalPagesMiddleware",  # no-store, no-referrer; static files stay cacheable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.middleware.CorrelationIdMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "portal.forms.PortalFormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait on locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "book"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling (django-axes, portal/login_throttle.py): five failures hold a username from
# one client address, twenty hold the address for every username; nothing is counted per username alone,
# so no one can lock a named account. The address is the client's behind the trusted proxy (below).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "portal.login_throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "portal.proxy.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The proxies in front of the portal (portal/proxy.py): the nearest connects from one of these addresses
# or networks; only its X-Forwarded-For and X-Forwarded-Proto are believed.
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=[])
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Spanish numbers as US Spanish writes them ($3,304.90): see portal/formats/es and portal.display.money.
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves straight from static/
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Request bodies (portal.middleware.RequestBodyLimitMiddleware; nginx enforces the same figures in
# deploy/nginx.conf): 1 MB, more only where files are uploaded. Django reads at most 1 MB of a form
# into memory and spools an uploaded file over 2 MB to disk.
REQUEST_BODY_MAX_BYTES = 1024 * 1024
REQUEST_BODY_LIMITS = [
    (r"^/groups/\d+/census$", 6 * 1024 * 1024),  # census upload (CENSUS_MAX_BYTES, 5 MB, and the form)
    (r"^/quotes/new/$", 6 * 1024 * 1024),  # the quote's census file
    (r"^/(employer/)?groups/\d+/documents/$", 6 * 1024 * 1024),  # a group's document (5 MB, and the form)
    (r"^/admin/catalogue/etssfile/upload/$", 100 * 1024 * 1024),  # an ETSS rate file (.txt or .txt.gz)
    (r"^/sandbox/groupsales/v1/groups/[^/]+/enrollment-files$", 6 * 1024 * 1024),  # a 5 MB 834 (api.md)
]
# Routes whose 413 is api.md's problem body (application/problem+json), not text.
REQUEST_BODY_PROBLEM_PATHS = [r"^/sandbox/groupsales/v1/"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 3000  # a census of a large small group, ten fields a row
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if not PRODUCTION else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="enrollment@portal.example")

# Personal data: SSNs and dates of birth are Fernet-encrypted at rest (django-fernet-encrypted-fields).
# SALT_KEY is a list: the first salt encrypts, every salt decrypts, so a new salt can be put first
# and the old ones kept until rows are re-saved (docs/architecture.md, "Key rotation").
if PRODUCTION:
    SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS")
else:
    SALT_KEY = env.list("FIELD_ENCRYPTION_SALTS", default=["dev-only-salt-0b3f5d7e9a1c"])

# Security. Production answers only over HTTPS behind a proxy that sets X-Forwarded-Proto.
# Sessions of people who see personal data: 30 minutes idle (refreshed by activity at most once a
# minute), 8 hours at most from the login (portal.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=8 * 3600)
SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# A strict Content-Security-Policy: every script and style comes from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Celery. Without REDIS_URL the broker is kombu's file-system transport, which needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("out", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # broadcasts (worker control); else ./control
    }
else:
    # A task a worker took and never acknowledged (the worker was SIGKILLed, or the ack was lost with the
    # connection to Redis) goes back to the queue after ``visibility_timeout``. It must be longer than the
    # longest countdown a task is held for in a worker's memory (a retry: 600 s for the group calls, 300 s
    # for validations and polls), else Redis hands a waiting retry to a second worker: 900 s (15 min).
    # Work does not wait for it: the sweeps (below, every minute) find work whose task was lost from the
    # database's own state. Workers look for due messages every restore interval x throttle seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=3),
        "unacked_mutex_expire": env.int("CELERY_UNACKED_MUTEX_EXPIRE", default=300),
    }
# A worker rides out a broker restart (issue 18): it reconnects for ever instead of exiting after 100
# tries; on a lost connection the late-acknowledged tasks it runs are cancelled (their ack could not reach
# Redis any more; they are delivered again, and the carrier calls replay their stored keys) rather than
# acknowledged on a channel whose connection is gone (see docs/reliability.md, "Redis lost").
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing while Redis is down fails within about a second instead of hanging a broker's request.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-way is delivered again, never lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Where tasks go unless routed (a test worker gets a queue of its own, so its follow-up tasks stay with it).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic work of every app, kept in one place so an operator sees all of it.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "portal.heartbeat", "schedule": 60.0},
    "enrollment-sync-books": {"task": "enrollment.tasks.sync_all_books", "schedule": 24 * 60 * 60.0},
}

# Enrollment files (edi): polling backoff, age limit before STUCK, upload retries, lost-task sweep.
EDI_POLL_FIRST_SECONDS = env.float("EDI_POLL_FIRST_SECONDS", default=5.0)
EDI_POLL_MAX_SECONDS = env.float("EDI_POLL_MAX_SECONDS", default=300.0)
EDI_POLL_MAX_AGE_SECONDS = env.float("EDI_POLL_MAX_AGE_SECONDS", default=6 * 3600.0)
EDI_UPLOAD_MAX_RETRIES = env.int("EDI_UPLOAD_MAX_RETRIES", default=8)
EDI_UPLOAD_RETRY_FIRST_SECONDS = env.float("EDI_UPLOAD_RETRY_FIRST_SECONDS", default=10.0)
EDI_SWEEP_STALE_SECONDS = env.float("EDI_SWEEP_STALE_SECONDS", default=180.0)
# Lost carrier work (a broker restart, a killed worker) is queued again; the stored idempotency keys make
# a second task harmless.
GROUP_CREATE_CLAIM_SECONDS = env.float("GROUP_CREATE_CLAIM_SECONDS", default=60)  # create and PATCH: leases
# Sweeps run every SWEEP_SECONDS (60) and queue work untouched for the stale age (180 s): a group in a
# long backoff gets at most one extra attempt per stale age, harmless (claims, stored keys), and work whose
# task was lost (an unacknowledged message, a retry held by a dead worker) is found within ~4 minutes
# instead of the visibility timeout (issue 18 item 6).
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=60.0)
GROUP_SWEEP_STALE_SECONDS = env.float("GROUP_SWEEP_STALE_SECONDS", default=180)
# A validation run's claim is a lease it renews before each call and every third of it meanwhile, so a
# claim outlives a live run however slow the carrier is, and a killed run's members are free 60 s later.
MEMBERS_VALIDATION_CLAIM_SECONDS = env.float("MEMBERS_VALIDATION_CLAIM_SECONDS", default=60)
MEMBERS_SWEEP_STALE_SECONDS = env.float("MEMBERS_SWEEP_STALE_SECONDS", default=180)
CELERY_BEAT_SCHEDULE["enrollment-sweep-groups"] = {
    "task": "enrollment.tasks.sweep_groups",
    "schedule": SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["edi-sweep-transmissions"] = {
    "task": "edi.sweep_transmissions",
    "schedule": SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["members-sweep-validations"] = {
    "task": "members.tasks.sweep_validations",
    "schedule": SWEEP_SECONDS,
}
# The outbox (carrier.outbox): tasks recorded with the change while Redis was down are queued this often.
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=15.0)
OUTBOX_MIN_AGE_SECONDS = env.float("OUTBOX_MIN_AGE_SECONDS", default=5.0)
CELERY_BEAT_SCHEDULE["carrier-sweep-outbox"] = {
    "task": "carrier.sweep_outbox",
    "schedule": OUTBOX_SWEEP_SECONDS,
}
# OPEN carrier operations whose task was lost (carrier.resume): looked for every 20 s, handed to their
# owner once untouched for 90 s with no call under them (a live worker records a call per attempt, and
# one attempt lasts at most the read timeout, 30 s, or a Retry-After, at most 60 s).
OPERATIONS_SWEEP_SECONDS = env.float("OPERATIONS_SWEEP_SECONDS", default=20.0)
OPERATIONS_STALE_SECONDS = env.float("OPERATIONS_STALE_SECONDS", default=90.0)
CELERY_BEAT_SCHEDULE["carrier-sweep-operations"] = {
    "task": "carrier.sweep_operations",
    "schedule": OPERATIONS_SWEEP_SECONDS,
}
# Messages a killed worker took and never acknowledged go back to their queue once no live worker
# holds them (portal.tasks.unacked_orphans_restore), instead of after the visibility timeout.
ORPHAN_SWEEP_SECONDS = env.float("ORPHAN_SWEEP_SECONDS", default=20.0)
ORPHAN_MESSAGE_MIN_AGE_SECONDS = env.float("ORPHAN_MESSAGE_MIN_AGE_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE["portal-restore-orphaned-messages"] = {
    "task": "portal.restore_orphaned_messages",
    "schedule": ORPHAN_SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["carrier-prune-outbox"] = {"task": "carrier.prune_outbox", "schedule": 24 * 3600.0}
# Open enrollment (issue 22 item 4): the window's default end, reminders' offsets (days before the end),
# documents finalize waits for (effective dates from), the upload limit.
ENROLLMENT_OE_LEAD_DAYS = env.int("ENROLLMENT_OE_LEAD_DAYS", default=10)
MEMBERS_REMINDER_OFFSETS_DAYS = env.list("MEMBERS_REMINDER_OFFSETS_DAYS", cast=int, default=[7, 3, 1])
RENEWALS_DEADLINE_REMINDER_DAYS = env.list("RENEWALS_DEADLINE_REMINDER_DAYS", cast=int, default=[14, 7, 1])
ENROLLMENT_DOCUMENTS_REQUIRED_FROM = env.str("ENROLLMENT_DOCUMENTS_REQUIRED_FROM", default="2027-07-01")
ENROLLMENT_DOCUMENT_MAX_BYTES = env.int("ENROLLMENT_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
# Hourly: a reminder goes once per offset and a digest once a day whatever the frequency (keyed notices).
CELERY_BEAT_SCHEDULE["members-send-reminders"] = {"task": "members.tasks.send_reminders", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["members-send-broker-digests"] = {
    "task": "members.tasks.send_broker_digests",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["renewals-sync"] = {"task": "renewals.tasks.sync_all_renewals", "schedule": 6 * 3600.0}
# Changes after enrollment: change files sent before the earliest send-by date, the carrier's roster read.
CELERY_BEAT_SCHEDULE["maintenance-send-due"] = {
    "task": "maintenance.send_due_change_files",
    "schedule": 3600.0,
}
# MNT-011: changes held for a renewal go to the carrier again once the portal has read the acceptance.
CELERY_BEAT_SCHEDULE["maintenance-release-held"] = {
    "task": "maintenance.release_held_changes",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["maintenance-reconcile"] = {
    "task": "maintenance.reconcile_rosters",
    "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["maintenance-aging-out"] = {
    "task": "maintenance.tell_children_aging_out",
    "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["catalogue-pull-etss"] = {"task": "catalogue.pull_etss", "schedule": 6 * 3600.0}

# The carrier's Group Sales API. Development points at the sandbox this portal mounts.
HUMANA_API_BASE_URL = env.str("HUMANA_API_BASE_URL", default=f"{SITE_URL}/sandbox/groupsales/v1")
# Outside production the default key is the one `seed_demo` gives the sandbox's demo partner.
HUMANA_API_KEY = env.str("HUMANA_API_KEY", default="" if PRODUCTION else "sandbox-demo-partner-key-0001")
HUMANA_SENDER_ID = env.str("HUMANA_SENDER_ID", default="PORTALDEV")
HUMANA_API_CONNECT_TIMEOUT = env.float("HUMANA_API_CONNECT_TIMEOUT", default=3.05)
HUMANA_API_READ_TIMEOUT = env.float("HUMANA_API_READ_TIMEOUT", default=30.0)
HUMANA_API_MAX_ATTEMPTS = env.int("HUMANA_API_MAX_ATTEMPTS", default=4)
HUMANA_USAGE_INDICATOR = env.str("HUMANA_USAGE_INDICATOR", default="P" if PRODUCTION else "T")

# The carrier sandbox's own settings (api.md, "The sandbox").
SANDBOX_TODAY = env.str("SANDBOX_TODAY", default="")
SANDBOX_FILE_PICKUP_SECONDS = env.float("SANDBOX_FILE_PICKUP_SECONDS", default=2)
SANDBOX_FILE_PROCESSING_SECONDS = env.float("SANDBOX_FILE_PROCESSING_SECONDS", default=5)
SANDBOX_FIRST_GROUP_ID = env.int("SANDBOX_FIRST_GROUP_ID", default=104233)
SANDBOX_LATENCY_MS = env.int("SANDBOX_LATENCY_MS", default=0)
SANDBOX_LATENCY_MAX_MS = env.int("SANDBOX_LATENCY_MAX_MS", default=0)  # above SANDBOX_LATENCY_MS: a range
SANDBOX_ERROR_RATE = env.float("SANDBOX_ERROR_RATE", default=0.0)
SANDBOX_FAULTS_FILE = env.str("SANDBOX_FAULTS_FILE", default="")  # set: faults only while the file exists
SANDBOX_RATE_LIMIT_PER_MINUTE = env.int("SANDBOX_RATE_LIMIT_PER_MINUTE", default=0)
SANDBOX_STUCK_PROCESSING_SECONDS = env.float("SANDBOX_STUCK_PROCESSING_SECONDS", default=15 * 60)  # FEIN 96
# api.md 1.1 "Renewal data": a plan's renewal rates where the sandbox has none loaded for the renewal date
SANDBOX_RENEWAL_TREND = env.str("SANDBOX_RENEWAL_TREND", default="1.0800")
SANDBOX_MAX_FILE_BYTES = 5 * 1024 * 1024  # api.md: an 834 upload is at most 5 MB

# Where the carrier drops ETSS rate files: SFTP in production, a local folder in development.
ETSS_SFTP_HOST = env.str("ETSS_SFTP_HOST", default="")
ETSS_SFTP_PORT = env.int("ETSS_SFTP_PORT", default=22)
ETSS_SFTP_USERNAME = env.str("ETSS_SFTP_USERNAME", default="")
ETSS_SFTP_PASSWORD = env.str("ETSS_SFTP_PASSWORD", default="")
ETSS_SFTP_KEY_FILE = env.str("ETSS_SFTP_KEY_FILE", default="")
ETSS_SFTP_HOST_KEY = env.str("ETSS_SFTP_HOST_KEY", default="")
ETSS_SFTP_FOLDER = env.str("ETSS_SFTP_FOLDER", default="outbound/etss/")
ETSS_LOCAL_DROP = env.str("ETSS_LOCAL_DROP", default=str(VAR_DIR / "etss-drop"))

# The demo's and the tests' sample files (rate file, census, 834), written here by portal.samples.
SAMPLES_DIR = VAR_DIR / "samples"

# Error reports (admin e-mails) mask SSNs and dates of birth in POST data and traceback variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.logging.PersonalDataReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "portal.logging.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # runserver's request lines carry self-service tokens: through the masking console handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # pyx12 logs each validation error with the offending segment (names, SSNs, dates of
        # birth); the portal reports those errors itself, masked, so pyx12 stays quiet.
        "pyx12": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
