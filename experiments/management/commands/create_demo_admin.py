"""Create (or reset) the demo researcher account and print how to log in."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser for the demo; the password comes from MUG_ADMIN_PASSWORD or is generated."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("MUG_ADMIN_USER", "admin"))

    def handle(self, *args, username, **options):
        password = os.environ.get("MUG_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "created" if created else "reset"
        self.stdout.write(f"Admin account {verb}: user {username!r}, password {password!r}")
