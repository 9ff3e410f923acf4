"""Admin pages for game data: episodes with their steps, and the server replay check as an action."""

from __future__ import annotations

from django.contrib import admin, messages

from experiments.control.admin import ReadOnlyAdmin
from experiments.gamedata.models import Episode
from experiments.gamedata.replay import episode_replay


@admin.register(Episode)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "scene_key",
        "index",
        "seed",
        "ai_agents",
        "status",
        "verification",
        "exactness",
        "n_steps",
        "replay_status",
        "started_at",
    ]
    list_filter = ["participant__experiment", "status", "verification", "exactness", "replay_status", "scene_key"]
    search_fields = ["participant__external_id", "scene_key", "code_hash"]
    list_select_related = ["participant", "participant__experiment"]
    readonly_fields = [
        "participant",
        "scene_key",
        "index",
        "seed",
        "env",
        "code_hash",
        "policies",
        "runtime",
        "reset_data",
        "status",
        "n_steps",
        "n_bytes",
        "started_at",
        "ended_at",
        "verification",
        "verification_report",
        "verify_queued_at",
        "verified_at",
        "verify_claimed_by",
        "verify_runs",
        "replay_status",
        "replay_report",
        "exactness",
        "exactness_report",
        "provenance",
    ]
    actions = ["replay"]
    show_full_result_count = False

    @admin.display(description="AI agents")
    def ai_agents(self, episode: Episode) -> str:
        """e.g. "chaser: onnx tag_chaser.onnx (5e5d1532)"; humans are left out."""
        parts = []
        for agent, policy in episode.policies.items():
            if isinstance(policy, dict):
                detail = policy.get("path") or policy.get("model") or ""
                digest = f" ({policy['sha256'][:8]})" if policy.get("sha256") else ""
                parts.append(f"{agent}: {policy['kind']} {detail}{digest}".strip())
        return "; ".join(parts) or "-"

    def has_run_replay_permission(self, request) -> bool:
        return request.user.has_perm("experiments.run_replay")

    @admin.action(description="Replay on the server and compare with the browser's data", permissions=["run_replay"])
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
