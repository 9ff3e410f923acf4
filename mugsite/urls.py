"""Top-level URLs: participant flow, admin, and the data export API."""

from django.contrib import admin
from django.urls import include, path

from experiments.control.live_views import live_monitor
from mugsite.health import health

admin.site.site_header = "MUG control room"
admin.site.site_title = "MUG"
admin.site.index_title = "Experiments, participants and data"
admin.site.index_template = "admin/mug_index.html"  # the admin's index with a link to the live monitor

urlpatterns = [
    path("healthz", health, name="health"),
    path("admin/live/", live_monitor, name="live-monitor"),
    path("admin/", admin.site.urls),
    path("api/", include("experiments.control.api_urls")),
    path("runtime/", include("experiments.gamedata.runtime_urls")),
    path("", include("experiments.urls")),
]
