"""Production settings: everything in :mod:`ever6.web.settings`, served over HTTPS only.

Use with ``DJANGO_SETTINGS_MODULE=ever6.web.settings_production``; ``manage.py check --deploy``
is clean with these (a test proves it).
"""

from __future__ import annotations

import os

from ever6.web.settings import *  # noqa: F403

DEBUG = False
# Refused at start when missing, empty or weak (ever6.web.keys), not a server answering 500.
from ever6.web.keys import production_secret_key  # noqa: E402

SECRET_KEY = production_secret_key()
SECURE_SSL_REDIRECT = os.environ.get("EVER6_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
