"""Django settings, from the environment (twelve-factor): nothing secret lives in the repository.

| variable | meaning | default |
| --- | --- | --- |
| ``EVER6_HOME`` | the workspace: warehouse, snapshot, app database, secret key | ``var`` |
| ``EVER6_SECRET_KEY`` | Django's secret key | generated once into ``$EVER6_HOME/secret_key`` |
| ``DATABASE_URL`` | the app database (users, audit log, partnership records) | SQLite in ``$EVER6_HOME`` |
| ``EVER6_DEBUG`` | ``1`` for development error pages | off |
| ``EVER6_ALLOWED_HOSTS`` | comma-separated host names | ``127.0.0.1,localhost`` |
| ``EVER6_SNAPSHOT`` | the published snapshot the pages read | ``$EVER6_HOME/published/web.duckdb`` |
| ``EVER6_TRUSTED_PROXY`` | the reverse proxy's address, whose ``X-Forwarded-For/-Proto`` are believed | none |
| ``EVER6_OIDC_*`` | single sign-on (Microsoft Entra ID or any OpenID Connect provider) | off |
| ``EVER6_EMAIL_*`` | the SMTP server the outbox sends through (docs/notifications.md) | ``localhost:25`` |
| ``EVER6_UPLOAD_MAX_MB`` | the largest upload of files to import, all together | ``512`` |
| ``EVER6_JOBS_INTERVAL`` | seconds between the import worker's passes in ``ever6 web serve`` (0: none) | ``2`` |

Production hardening (HTTPS-only cookies, HSTS) is in :mod:`ever6.web.settings_production`; the
Content-Security-Policy is :mod:`ever6.web.csp`, request body limits :mod:`ever6.web.bodylimit`.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import dj_database_url

from ever6.config import snapshot_beside
from ever6.private import fixed_message, restrict_umask, secure_workspace

WEB_DIR = Path(__file__).resolve().parent
FRONTEND = WEB_DIR / "frontend" / "node_modules"
HOME = Path(os.environ.get("EVER6_HOME", "var")).resolve()

# Every file this service writes (its database, uploads, the secret key) is its owner's only,
# whatever umask it was started with; the workspace is checked, and fixed, at start.
restrict_umask()
if _fixed := secure_workspace(HOME):
    logging.getLogger("ever6").warning(fixed_message(HOME, _fixed))


def _secret_key() -> str:
    if key := os.environ.get("EVER6_SECRET_KEY"):
        return key
    # A key generated on first run and kept beside the data, readable by its owner only.
    path = HOME / "secret_key"
    if not path.exists():
        HOME.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("EVER6_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("EVER6_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ever6.web.accounts",
    "ever6.web.audit",
    "ever6.web.schools",
    "ever6.web.dashboard",
    "ever6.web.portal",
    "ever6.web.datamgmt",
    "ever6.web.support",
    "ever6.web.training",
    "ever6.web.outcomes",
    "ever6.web.outbox",
    "ever6.web.events",
    "ever6.web.roundup",
    "ever6.web.grant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before the CSRF check, which would parse the body: each view's body limit (ever6.web.bodylimit).
    "ever6.web.bodylimit.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ever6.web.guard.one_snapshot_per_request",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ever6.web.csp.ContentSecurityPolicyMiddleware",
    "ever6.web.accounts.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "ever6.web.audit.middleware.RefusedRequestsMiddleware",
]

ROOT_URLCONF = "ever6.web.urls"
WSGI_APPLICATION = "ever6.web.wsgi.application"

TEMPLATES = [
    {
        # Pages: Jinja2, so that the GOV.UK Frontend macros (govuk-frontend-jinja) can be used as-is.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [WEB_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "ever6.web.jinja.environment", "autoescape": True},
    },
    {
        # Django's admin keeps its own templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{HOME / 'web.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ever6.web.accounts.validators.VarietyValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling: first, so a locked-out user stops here
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): five failures lock that username from that address for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("EVER6_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = None
AXES_LOCKOUT_CALLABLE = "ever6.web.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True

# Sessions: short, and gone with the browser; cookies never readable by scripts.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "ever6.web.accounts.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind a reverse proxy: waitress (ever6 web serve) believes X-Forwarded-For and X-Forwarded-Proto
# from this address only, and removes them from anyone else; production's SECURE_PROXY_SSL_HEADER
# then reads the scheme the proxy saw.
EVER6_TRUSTED_PROXY = os.environ.get("EVER6_TRUSTED_PROXY") or None

# Upload limits: signed agreements and bulk imports are small documents. Whole request bodies are
# limited per view before they are parsed (ever6.web.bodylimit), and by waitress before that.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
MEDIA_ROOT = HOME / "uploads"
FILE_UPLOAD_PERMISSIONS = 0o600  # signed agreements and bulk files: not 0644, Django's default
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# The data manager's imports in the browser (ever6.web.datamgmt.uploads): the files of one upload
# together at most this size, streamed to disk under the workspace (never held in memory), kept
# private there until imported or cancelled. A year of a county's attendance marks is a few
# hundred MB.
EVER6_UPLOAD_MAX_BYTES = int(float(os.environ.get("EVER6_UPLOAD_MAX_MB", "512")) * 1024 * 1024)
EVER6_UPLOAD_DIR = HOME / "uploads" / "imports"
# The mappings offered for case-management and pupils files: every TOML file in this folder.
EVER6_MAPPING_DIR = HOME / "mappings"
# Seconds between the import worker's passes in `ever6 web serve` (0: no worker thread; run
# `ever6 web jobs --loop` instead).
EVER6_JOBS_INTERVAL = float(os.environ.get("EVER6_JOBS_INTERVAL", "2"))

# Rendered figure pages between refreshes (ever6.web.pagecache): per process, in memory.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "TIMEOUT": 6 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# GOV.UK Frontend's compiled CSS looks for its fonts and images under /assets/, so static files
# are served there: GOV.UK's assets at the root, the rest under a prefix each.
STATIC_URL = "/assets/"
# Only for deployments that run collectstatic; whitenoise serves from the finders otherwise.
STATIC_ROOT = os.environ.get("EVER6_STATIC_ROOT") or None
STATICFILES_DIRS = [
    FRONTEND / "govuk-frontend" / "dist" / "govuk" / "assets",
    ("govuk", FRONTEND / "govuk-frontend" / "dist" / "govuk"),
    ("vega", FRONTEND / "vega" / "build"),
    ("vega-lite", FRONTEND / "vega-lite" / "build"),
    ("vega-embed", FRONTEND / "vega-embed" / "build"),
    ("ever6", WEB_DIR / "static" / "ever6"),
]
# Only the files the pages use, of all those folders hold (ever6.web.staticfiles).
STATICFILES_FINDERS = [
    "ever6.web.staticfiles.ServedFilesFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
WHITENOISE_USE_FINDERS = True  # serve straight from the npm packages; no collectstatic step

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "ever6.web.logs.WithoutRefusalTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    # Not propagated: waitress gives the root logger a handler of its own, and each line would be
    # written twice.
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("EVER6_LOG_LEVEL", "WARNING"), "propagate": False}
    },
}

# --- ever6 -------------------------------------------------------------------------------------
EVER6_SERVICE_OWNER = os.environ.get("EVER6_SERVICE_OWNER", "Virtual School")
EVER6_WAREHOUSE = HOME / "warehouse.duckdb"
EVER6_SNAPSHOT = Path(os.environ.get("EVER6_SNAPSHOT") or snapshot_beside(EVER6_WAREHOUSE))
# Tier thresholds for the schools page: the share of a school's pupils who are Ever6 CWSW, and the
# count, at which the Virtual School's enhanced and targeted offers are suggested.
EVER6_TIERS = {
    "enhanced": {"share": float(os.environ.get("EVER6_TIER_ENHANCED_SHARE", "10")), "count": 15},
    "targeted": {"share": float(os.environ.get("EVER6_TIER_TARGETED_SHARE", "20")), "count": 30},
}

# --- Single sign-on (OpenID Connect, e.g. Microsoft Entra ID), on when a client id is set ------
OIDC_ENABLED = bool(os.environ.get("EVER6_OIDC_CLIENT_ID"))
if OIDC_ENABLED:
    _tenant_base = os.environ.get("EVER6_OIDC_ISSUER", "").rstrip("/")
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.insert(1, "ever6.web.accounts.oidc.RoleMappingOIDCBackend")
    OIDC_RP_CLIENT_ID = os.environ["EVER6_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("EVER6_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_SCOPES = "openid email profile"
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get(
        "EVER6_OIDC_AUTHORIZATION_ENDPOINT", f"{_tenant_base}/oauth2/v2.0/authorize"
    )
    OIDC_OP_TOKEN_ENDPOINT = os.environ.get("EVER6_OIDC_TOKEN_ENDPOINT", f"{_tenant_base}/oauth2/v2.0/token")
    OIDC_OP_USER_ENDPOINT = os.environ.get("EVER6_OIDC_USER_ENDPOINT", "https://graph.microsoft.com/oidc/userinfo")
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("EVER6_OIDC_JWKS_ENDPOINT", f"{_tenant_base}/discovery/v2.0/keys")
    # Which identity-provider group (claim ``groups``) gives which ever6 role; users are created on
    # first sign-in only when one of their groups maps to a role.
    EVER6_OIDC_ROLE_GROUPS = dict(
        pair.split("=", 1) for pair in os.environ.get("EVER6_OIDC_ROLE_GROUPS", "").split(",") if "=" in pair
    )

# The audit log's hash chain (docs/web.md, "Audit log"): its HMAC key is EVER6_AUDIT_KEY, else this
# owner-only file, made on first use; the newest entry is anchored in the second file. Both are
# kept apart from the database (and out of its backups) so an edit made in it can be detected.
EVER6_AUDIT_KEY_FILE = Path(os.environ.get("EVER6_AUDIT_KEY_FILE", HOME / "audit_key"))
EVER6_AUDIT_HEAD_FILE = Path(os.environ.get("EVER6_AUDIT_HEAD_FILE", HOME / "audit_head"))

# Email (docs/notifications.md): every email is queued in the outbox (ever6.web.outbox) and sent over
# SMTP by ``ever6 web notify`` or the thread in ``ever6 web serve``, with exponential backoff.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EVER6_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EVER6_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EVER6_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EVER6_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EVER6_EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("EVER6_EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EVER6_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("EVER6_EMAIL_FROM", "ever6@localhost")
EVER6_EMAIL_MAX_ATTEMPTS = int(os.environ.get("EVER6_EMAIL_MAX_ATTEMPTS", "8"))
EVER6_EMAIL_BACKOFF_SECONDS = int(os.environ.get("EVER6_EMAIL_BACKOFF_SECONDS", "60"))
# How often the delivery loop looks for due messages; 0 turns off the thread in ``ever6 web serve``.
EVER6_EMAIL_INTERVAL = int(os.environ.get("EVER6_EMAIL_INTERVAL", "30"))
# What queues email before each delivery pass (each a function of no arguments).
EVER6_OUTBOX_PRODUCERS = ["ever6.web.events.service.raise_notifications"]
# Links in email: the address people reach the service at.
EVER6_BASE_URL = os.environ.get("EVER6_BASE_URL", "http://localhost:8000")
# Events older than this many days when first found (say, at the first refresh) are not emailed.
EVER6_EVENT_NOTIFY_DAYS = int(os.environ.get("EVER6_EVENT_NOTIFY_DAYS", "14"))
