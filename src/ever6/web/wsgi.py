"""The WSGI application (served by waitress in ``ever6 web serve``, or any WSGI server)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ever6.web.settings")
application = get_wsgi_application()
