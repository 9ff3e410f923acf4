"""Create the demo researcher account once and print how to log in; later runs keep its password."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser for the demo if there is none; the password comes from MUG_ADMIN_PASSWORD or is "
        "generated. An existing account keeps its password unless --reset-password is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("MUG_ADMIN_USER", "admin"))
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Set a new password on an existing account (MUG_ADMIN_PASSWORD, or a generated one).",
        )

    def handle(self, *args, username, reset_password, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is not None and not reset_password:
            # Every start of bin/demo runs this: a password the researcher chose (or was shown once) must survive.
            self.stdout.write(
                f"Admin account {username!r} exists; its password is unchanged. To set a new one: "
                f"MUG_ADMIN_PASSWORD=... .venv/bin/python manage.py create_demo_admin --reset-password "
                f"(or manage.py changepassword {username})."
            )
            return
        password = os.environ.get("MUG_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        verb = "created" if user is None else "reset"
        if user is None:
            user = get_user_model()(username=username, is_staff=True, is_superuser=True)
        user.set_password(password)
        user.save()
        self.stdout.write(f"Admin account {verb}: user {username!r}, password {password!r}")
