"""Management commands: sync, demo admin, export."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from experiments.flow.models import Experiment
from testkit.flowhelpers import enter, walk_to_end

pytestmark = pytest.mark.django_db


def test_sync_creates_rows_keeps_pause_and_marks_removed(settings):
    out = io.StringIO()
    call_command("sync_experiments", stdout=out)
    assert "synced flow" in out.getvalue()
    Experiment.objects.filter(slug="flow").update(is_active=False)
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["testkit.fixture_experiments:timed"]}
    call_command("sync_experiments", stdout=io.StringIO())
    flow = Experiment.objects.get(slug="flow")
    assert not flow.in_code and not flow.is_active
    assert Experiment.objects.get(slug="timed").in_code


def test_sync_reports_a_broken_definition(settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["testkit.fixture_experiments:nothing_here"]}
    with pytest.raises(CommandError, match="is not an experiments.definition.experiment.Experiment"):
        call_command("sync_experiments", stdout=io.StringIO())


def test_create_demo_admin_uses_the_given_password(monkeypatch):
    monkeypatch.setenv("MUG_ADMIN_PASSWORD", "a-long-demo-password")
    out = io.StringIO()
    call_command("create_demo_admin", stdout=out)
    user = get_user_model().objects.get(username="admin")
    assert user.is_staff and user.is_superuser and user.check_password("a-long-demo-password")
    assert "a-long-demo-password" in out.getvalue()


def test_export_data_writes_csv(tmp_path):
    browser = Client()
    enter(browser, "flow", PROLIFIC_PID="cmdPID")
    walk_to_end(browser, "flow")
    target = tmp_path / "visits.csv"
    call_command("export_data", "flow", "--table", "visits", "--output", str(target), stdout=io.StringIO())
    rows = list(csv.DictReader(target.open()))
    assert rows[0]["scene_key"] == "welcome" and rows[-1]["scene_kind"] == "end"
    assert {row["external_id"] for row in rows} == {"cmdPID"}
    with pytest.raises(CommandError, match="no experiment"):
        call_command("export_data", "nope", stdout=io.StringIO())
