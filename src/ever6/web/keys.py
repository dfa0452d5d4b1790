"""The service's secrets: Django's secret key in production, and the audit log's chaining key.

Both are refused at start when weak, with a message naming the variable, rather than a server
that starts and then answers every request with an error.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Django's own deployment check asks for 50 characters and 5 distinct ones; a key drawn at random
# (``secrets.token_urlsafe(50)``: 67 characters of 64) has far more than 20.
MIN_KEY_LENGTH = 50
MIN_DISTINCT = 20
HOW_TO_MAKE_ONE = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def strong_key(value: str | None, name: str) -> str:
    """``value`` if it is long and random-looking enough to be a key, else a clear error."""
    key = (value or "").strip()
    if not key:
        raise ImproperlyConfigured(f"{name} is not set: production needs a long random key ({HOW_TO_MAKE_ONE})")
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_DISTINCT or key.startswith("django-insecure"):
        raise ImproperlyConfigured(
            f"{name} is too weak: it needs at least {MIN_KEY_LENGTH} random characters "
            f"(it has {len(key)}, {len(set(key))} different); {HOW_TO_MAKE_ONE}"
        )
    return key


def production_secret_key(environ: Mapping[str, str] = os.environ) -> str:
    return strong_key(environ.get("EVER6_SECRET_KEY"), "EVER6_SECRET_KEY")


def key_file(path: Path) -> str:
    """The key kept in ``path`` (owner-only), made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together cannot both write one; the loser reads it.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def audit_key(path: Path, environ: Mapping[str, str] = os.environ) -> bytes:
    """The audit log's HMAC key: ``EVER6_AUDIT_KEY``, else the owner-only file ``path``."""
    if "EVER6_AUDIT_KEY" in environ:
        return strong_key(environ["EVER6_AUDIT_KEY"], "EVER6_AUDIT_KEY").encode()
    return strong_key(key_file(path), str(path)).encode()
