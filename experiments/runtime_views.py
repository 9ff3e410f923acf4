"""Serves the wheelhouse as a PEP 503 index and wheel files, from the study's own origin."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from experiments import wheelhouse


def _directory():
    return settings.MUG_RUNTIME["WHEELHOUSE_DIR"]


@require_GET
def wheel_index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(wheelhouse.index_page(_directory(), reverse("runtime:wheel-index")))


@require_GET
def wheel_project(request: HttpRequest, name: str) -> HttpResponse:
    page = wheelhouse.project_page(_directory(), name, reverse("runtime:wheel-file", kwargs={"filename": "x"})[:-1])
    if page is None:
        raise Http404("no such project")
    return HttpResponse(page)


@require_GET
def wheel_file(request: HttpRequest, filename: str) -> FileResponse:
    path = wheelhouse.wheel_path(_directory(), filename)
    if path is None:
        raise Http404("no such wheel")
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = "public, max-age=86400"
    return response
