"""The MUG Django project: settings, ASGI routing and URLs."""
