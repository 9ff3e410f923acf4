"""Serves the wheelhouse as a PEP 503 index and wheel files, from the study's own origin."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from experiments.gamedata import wheelhouse

PLACEHOLDER = "WHEEL.whl"


def _directory() -> Path:
    return Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"])


@require_safe
def wheel_index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(wheelhouse.index_page(_directory(), reverse("runtime:wheel-index")))


@require_safe
def wheel_project(request: HttpRequest, name: str) -> HttpResponse:
    # Root-relative file links ("/runtime/wheels/<file>"), including any SCRIPT_NAME prefix.
    file_prefix = reverse("runtime:wheel-file", kwargs={"filename": PLACEHOLDER}).removesuffix(PLACEHOLDER)
    page = wheelhouse.project_page(_directory(), name, file_prefix)
    if page is None:
        raise Http404("no such project in the wheelhouse")
    return HttpResponse(page)


@require_safe
def wheel_file(request: HttpRequest, filename: str) -> FileResponse:
    path = wheelhouse.wheel_path(_directory(), filename)
    if path is None:
        raise Http404("no such wheel")
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = "public, max-age=86400"
    return response
