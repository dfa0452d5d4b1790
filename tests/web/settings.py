"""Django settings for the test suite: the real settings, with a throwaway secret key."""

import os

os.environ.setdefault("EVER6_SECRET_KEY", "test-only-not-a-secret-" + "x" * 40)

from ever6.web.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# Argon2 as in production, with cheap parameters: the suite hashes hundreds of test passwords.
PASSWORD_HASHERS = ["tests.web.hashers.CheapArgon2PasswordHasher"]
