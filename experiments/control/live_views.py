"""The live monitor's page (staff who may view participants and games): the admin's look, filled by its socket."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from experiments.control.live import live_user_allowed


@staff_member_required
def live_monitor(request):
    if not live_user_allowed(request.user):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": "Live monitor"}
    return TemplateResponse(request, "admin/live_monitor.html", context)
