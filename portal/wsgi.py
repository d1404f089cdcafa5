import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Production does not start with a shipped, placeholder or short secret key or salt (portal/checks.py).
from portal.checks import refuse_unsafe_production_secrets  # noqa: E402

refuse_unsafe_production_secrets()
