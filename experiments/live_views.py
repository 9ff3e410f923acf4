"""The live monitor's page (staff only): the admin's look, filled and refreshed by its socket."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.template.response import TemplateResponse


@staff_member_required
def live_monitor(request):
    context = {**admin.site.each_context(request), "title": "Live monitor"}
    return TemplateResponse(request, "admin/live_monitor.html", context)
