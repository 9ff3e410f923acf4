"""Admin pages for game data: episodes with their steps, and the server replay check as an action."""

from __future__ import annotations

from django.contrib import admin, messages

from experiments.admin import ReadOnlyAdmin
from experiments.gameplay_models import Episode
from experiments.replay import episode_replay


@admin.register(Episode)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "scene_key", "index", "seed", "status", "n_steps", "replay_status", "started_at"]
    list_filter = ["participant__experiment", "status", "replay_status", "scene_key"]
    search_fields = ["participant__external_id", "scene_key", "code_hash"]
    list_select_related = ["participant", "participant__experiment"]
    readonly_fields = [
        "participant", "scene_key", "index", "seed", "env", "code_hash", "runtime", "reset_data", "status",
        "n_steps", "started_at", "ended_at", "replay_status", "replay_report",
    ]  # fmt: skip
    actions = ["replay"]
    show_full_result_count = False

    @admin.action(description="Replay on the server and compare with the browser's data")
    def replay(self, request, queryset):
        results = {"match": 0, "mismatch": 0, "error": 0}
        for episode in queryset.select_related("participant__experiment"):
            try:
                results[episode_replay(episode=episode)["status"]] += 1
            except Exception as error:  # a replay that cannot run is reported, never a 500 page
                results["error"] += 1
                Episode.objects.filter(pk=episode.pk).update(replay_status="error", replay_report={"error": str(error)})
        level = messages.SUCCESS if not results["mismatch"] and not results["error"] else messages.WARNING
        self.message_user(
            request, f"{results['match']} match, {results['mismatch']} differ, {results['error']} failed.", level
        )
