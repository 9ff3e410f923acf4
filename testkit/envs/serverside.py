"""An env module that imports Django: it cannot run in a browser, so `manage.py check` refuses it (E002)."""

from django.conf import settings  # noqa: F401  (the point: server-only code next to an env)

from testkit.envs.crash import make  # noqa: F401
