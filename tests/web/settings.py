"""Django settings for the test suite: the real settings, with a throwaway secret key."""

import os

os.environ.setdefault("EVER6_SECRET_KEY", "test-only-not-a-secret-" + "x" * 40)

from ever6.web.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Argon2 as in production, with cheap parameters: the suite hashes hundreds of test passwords.
PASSWORD_HASHERS = ["tests.web.hashers.CheapArgon2PasswordHasher"]

# The same tests on PostgreSQL (Makefile ``unit-postgresql``): a server of the test run's own.
if os.environ.get("EVER6_TEST_POSTGRESQL") == "1":
    import dj_database_url

    from tests.postgresql import start

    DATABASES = {"default": dj_database_url.parse(start(), conn_max_age=0)}
# The audit chain's key and anchor in a folder of this test run, never in the working tree.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

_AUDIT = Path(tempfile.mkdtemp(prefix="ever6-audit-"))
EVER6_AUDIT_KEY_FILE = _AUDIT / "audit_key"
EVER6_AUDIT_HEAD_FILE = _AUDIT / "audit_head"
