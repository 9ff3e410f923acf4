"""The researcher's control room in the Django admin: experiments, participants, answers and codes."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.timezone import now

from experiments.control import exports, step_exports
from experiments.control.document_export import experiment_document
from experiments.definition import registry
from experiments.definition.outcomes import COMPLETED, OUTCOME_CHOICES
from experiments.definition.scenes import Scene
from experiments.definition.stager import RandomizeOrder, base_id, iter_nodes
from experiments.flow import selectors, services
from experiments.flow.models import CompletionCode, Experiment, Participant, SceneVisit, SurveyResponse

PROLIFIC_QUERY = "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"


def _stream(name: str, pieces, fmt: str, content_type: str) -> StreamingHttpResponse:
    """A download written while it is read: no size limit, no timeout while rows are being fetched."""
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}-{now().strftime("%Y%m%d-%H%M%S")}.{fmt}"'
    return response


def _download(name: str, columns: list[str], rows: list[dict], fmt: str) -> HttpResponse:
    stamp = now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.to_json(columns, rows), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{slugify(name)}-{stamp}.{fmt}"'
    return response


# Every action declares the permissions it needs (Django lists and runs only those the user holds, so a forged POST
# of another action is refused too). Exports need the view permissions of every kind of row they carry.
PARTICIPANT_ROWS = ["experiments.view_participant"]
STEP_ROWS = [*PARTICIPANT_ROWS, "experiments.view_episode", "experiments.view_step"]
EVERYTHING = [*STEP_ROWS, "experiments.view_surveyresponse", "experiments.view_scenevisit"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Data rows are written by the flow only; the admin reads and exports them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "is_active", "in_code", "total", "in_progress", "completed", "other_endings"]
    list_filter = ["is_active", "in_code"]
    search_fields = ["slug", "title"]
    fields = ["slug", "title", "description", "is_active", "in_code", "entry_links", "outline", "synced_at"]
    readonly_fields = ["slug", "title", "description", "in_code", "entry_links", "outline", "synced_at"]
    actions = ["pause", "resume", "export_participants_csv", "export_participants_json", "export_everything_json"]

    class Media:
        js = ["frontend/js/page/entry_links.js"]

    def get_queryset(self, request):
        return selectors.experiment_list_with_counts()

    def has_add_permission(self, request) -> bool:
        return False  # experiments are defined in Python and synced, not created here

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting would take participants' data with it

    @admin.display(description="participants", ordering="n_total")
    def total(self, obj) -> int:
        return obj.n_total

    @admin.display(description="in progress", ordering="n_active")
    def in_progress(self, obj) -> int:
        return obj.n_active

    @admin.display(description="completed", ordering="n_completed")
    def completed(self, obj) -> int:
        return obj.n_completed

    @admin.display(description="other endings")
    def other_endings(self, obj) -> str:
        labels = selectors.outcome_labels()
        parts = [f"{labels[key]}: {getattr(obj, f'n_{key}')}" for key in labels if key != "completed"]
        return ", ".join(part for part in parts if not part.endswith(": 0")) or "-"

    @admin.display(description="entry links")
    def entry_links(self, obj) -> str:
        base = self._entry_url(obj)
        links = [("Plain link", base), ("Prolific", base + PROLIFIC_QUERY), ("MTurk ExternalQuestion URL", base)]
        return format_html(
            '<div class="mug-links">{}</div>',
            format_html_join(
                "",
                '<p><strong>{}</strong><br><input type="text" readonly value="{}" size="90">'
                ' <button type="button" class="mug-copy">Copy</button></p>',  # frontend/js/page/entry_links.js
                links,
            ),
        )

    def _entry_url(self, obj) -> str:
        path = reverse("experiments:enter", kwargs={"slug": obj.slug})
        request = getattr(self, "_request", None)
        return request.build_absolute_uri(path) if request else path

    def get_form(self, request, obj=None, **kwargs):
        self._request = request
        return super().get_form(request, obj, **kwargs)

    def has_export_participants_permission(self, request) -> bool:
        return request.user.has_perms(PARTICIPANT_ROWS)

    def has_export_everything_permission(self, request) -> bool:
        return request.user.has_perms(EVERYTHING)

    @admin.action(description="Pause: accept no new participants", permissions=["change"])
    def pause(self, request, queryset):
        changed = services.experiment_set_active(experiments=Experiment.objects.filter(pk__in=queryset), active=False)
        self.message_user(request, f"{changed} experiment(s) paused.")

    @admin.action(description="Resume: accept new participants", permissions=["change"])
    def resume(self, request, queryset):
        changed = services.experiment_set_active(experiments=Experiment.objects.filter(pk__in=queryset), active=True)
        self.message_user(request, f"{changed} experiment(s) resumed.")

    @admin.action(description="Export participants of selected experiments as CSV", permissions=["export_participants"])
    def export_participants_csv(self, request, queryset):
        return _download("participants", *exports.participant_rows(_participants_of(queryset)), "csv")

    @admin.action(
        description="Export everything of one experiment as JSON (streamed: answers, episodes, steps)",
        permissions=["export_everything"],
    )
    def export_everything_json(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one experiment.", level="warning")
            return None
        experiment = queryset.get()
        return _stream(experiment.slug, experiment_document(experiment), "json", "application/json")

    @admin.action(
        description="Export participants of selected experiments as JSON", permissions=["export_participants"]
    )
    def export_participants_json(self, request, queryset):
        return _download("participants", *exports.participant_rows(_participants_of(queryset)), "json")


def _participants_of(experiments):
    return Participant.objects.filter(experiment__in=experiments).select_related("experiment", "completion_code")


class ReadOnlyInline(admin.TabularInline):
    """Rows written by the flow, listed under their parent: never edited, added or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SceneVisitInline(ReadOnlyInline):
    model = SceneVisit
    fields = [
        "position",
        "scene_key",
        "scene_kind",
        "entered_at",
        "runtime_ready_at",
        "start_pressed_at",
        "completed_at",
        "loads",
    ]


class SurveyResponseInline(ReadOnlyInline):
    model = SurveyResponse
    fields = ["scene_key", "question_id", "value", "answered_at"]


class ExportActionsMixin:
    """CSV and JSON export actions over a row builder from experiments.control.exports."""

    export_name = "data"

    def export_rows(self, queryset):
        raise NotImplementedError

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return _download(self.export_name, *self.export_rows(queryset), "csv")

    @admin.action(description="Export selected as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        return _download(self.export_name, *self.export_rows(queryset), "json")


def drawn_orders(slug: str, plan: list[str]) -> list[str]:
    """The scenes each RandomizeOrder of the study kept for this plan, in the order drawn (none when the study is no
    longer in the code)."""
    definition = registry.get_experiment(slug)
    if definition is None:
        return []
    orders = []
    for node in iter_nodes(definition.stager):
        if isinstance(node, RandomizeOrder):
            ids = {inner.scene_id for inner in iter_nodes(node.children) if isinstance(inner, Scene)}
            kept = [key for key in plan if base_id(key) in ids]
            if kept:
                orders.append(" → ".join(kept))
    return orders


@admin.register(Participant)
class ParticipantAdmin(ExportActionsMixin, ReadOnlyAdmin):
    export_name = "participants"
    list_display = [
        "__str__",
        "experiment",
        "source",
        "status",
        "progress",
        "current_scene",
        "code",
        "condition",
        "episodes",
        "created_at",
        "finished_at",
    ]
    list_filter = ["experiment", "status", "source", "created_at"]
    search_fields = ["external_id", "study_id", "session_id", "assignment_id", "completion_code__code"]
    search_help_text = "Search by Prolific/MTurk id, study, session, assignment or completion code."
    list_select_related = ["experiment", "completion_code"]
    readonly_fields = [
        "experiment",
        "source",
        "external_id",
        "study_id",
        "session_id",
        "assignment_id",
        "hit_id",
        "turk_submit_to",
        "status",
        "code",
        "condition",
        "episodes",
        "progress",
        "current_scene",
        "plan",
        "rebind_allowed",
        "user_agent",
        "created_at",
        "last_seen_at",
        "finished_at",
    ]
    exclude = ["token", "position"]
    inlines = [SceneVisitInline, SurveyResponseInline]
    actions = ["export_csv", "export_json", "export_steps_csv", "export_steps_parquet", "allow_rebind", "end_sessions"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def export_rows(self, queryset):
        return exports.participant_rows(queryset.select_related("experiment", "completion_code"))

    @admin.display(description="progress")
    def progress(self, obj) -> str:
        return f"{min(obj.position + 1, len(obj.plan))}/{len(obj.plan)}"

    @admin.display(description="current scene")
    def current_scene(self, obj) -> str:
        return "-" if obj.is_finished else (obj.current_key or "-")

    @admin.display(description="completion code")
    def code(self, obj) -> str:
        code = getattr(obj, "completion_code", None)
        return f"{code.code} ({code.outcome})" if code else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(episode_count=Count("episodes"))

    @admin.display(description="condition")
    def condition(self, obj) -> str:
        """Each Conditions arm ("difficulty: hard") and each order RandomizeOrder drew ("cond-b → cond-d")."""
        arms = [f"{name}: {arm}" for name, arm in sorted((obj.conditions or {}).items())]
        return "; ".join(arms + drawn_orders(obj.experiment.slug, obj.plan)) or "-"

    @admin.display(description="episodes")
    def episodes(self, obj) -> str:
        count = getattr(obj, "episode_count", None)
        if count is None:
            count = obj.episodes.count()
        if not count:
            return "-"
        url = reverse("admin:experiments_episode_changelist") + f"?participant__id__exact={obj.pk}"
        return format_html('<a href="{}">{} episode{}</a>', url, count, "" if count == 1 else "s")

    def has_export_steps_permission(self, request) -> bool:
        return request.user.has_perms(STEP_ROWS)

    def has_end_session_permission(self, request) -> bool:
        return request.user.has_perm("experiments.end_session")

    def has_allow_rebind_permission(self, request) -> bool:
        return request.user.has_perm("experiments.allow_rebind")

    @admin.action(
        description="Export the game steps of selected participants as CSV (streamed)", permissions=["export_steps"]
    )
    def export_steps_csv(self, request, queryset):
        columns, rows = step_exports.step_rows(queryset)
        return _stream("steps", exports.csv_lines(columns, rows), "csv", "text/csv; charset=utf-8")

    @admin.action(
        description="Export the game steps of selected participants as Parquet (streamed)", permissions=["export_steps"]
    )
    def export_steps_parquet(self, request, queryset):
        return _stream("steps", step_exports.step_parquet(queryset), "parquet", "application/vnd.apache.parquet")

    @admin.action(description="End the selected sessions with an outcome…", permissions=["end_session"])
    def end_sessions(self, request, queryset):
        """Asks for the outcome first (an intermediate page), then ends each unfinished session with it."""
        form = EndSessionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            outcome = form.cleaned_data["outcome"]
            ended = sum(
                services.participant_end(
                    participant=participant,
                    outcome=outcome,
                    definition=registry.get_experiment(participant.experiment.slug),
                )
                for participant in queryset.select_related("experiment")
            )
            self.message_user(
                request, f"{ended} session(s) ended as {outcome!r}; finished ones were left as they were."
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "participants": queryset,
            "title": "End sessions",
        }
        return TemplateResponse(request, "admin/experiments/participant/end_sessions.html", context)

    @admin.action(description="Let the next visit with this id continue in a new browser", permissions=["allow_rebind"])
    def allow_rebind(self, request, queryset):
        changed = services.participant_allow_rebind(participants=Participant.objects.filter(pk__in=queryset))
        self.message_user(request, f"{changed} participant(s) may now resume in a new browser.")


class EndSessionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(value, label) for value, label in OUTCOME_CHOICES if value != COMPLETED])


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ExportActionsMixin, ReadOnlyAdmin):
    export_name = "survey-responses"
    list_display = ["participant", "scene_key", "question_id", "value", "answered_at"]
    list_filter = ["participant__experiment", "scene_key", "question_id"]
    search_fields = ["participant__external_id", "scene_key", "question_id"]
    list_select_related = ["participant", "participant__experiment"]
    actions = ["export_csv", "export_json"]
    show_full_result_count = False

    def export_rows(self, queryset):
        return exports.response_rows(queryset.select_related("participant", "participant__experiment"))


@admin.register(CompletionCode)
class CompletionCodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "outcome", "participant", "experiment", "is_fixed", "issued_at"]
    list_filter = ["outcome", "participant__experiment", "is_fixed"]
    search_fields = ["code", "participant__external_id"]
    list_select_related = ["participant", "participant__experiment"]

    @admin.display(description="experiment", ordering="participant__experiment__slug")
    def experiment(self, obj) -> str:
        return obj.participant.experiment.slug


# django-axes lists lockouts (unlock by deleting one) with a clean-up action that declares no permission; it deletes
# rows, so here it needs "delete" like every other deleting action.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = ["cleanup_expired"]

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired(self, request, queryset):
        return self.cleanup_expired_attempts(request, queryset)
