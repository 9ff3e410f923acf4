"""Scene types a researcher puts in an experiment, and how each one cleans a participant's submission."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from experiments.definition.errors import DefinitionError
from experiments.definition.outcomes import DECLINED_CONSENT
from experiments.definition.questions import AnswerError, Question

SCENE_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class SubmissionError(ValueError):
    """A submission the scene refuses; `errors` maps field ids (or "__all__") to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Submission:
    """What a scene accepted: answers to store and, optionally, an outcome that ends the flow."""

    answers: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None


@dataclass(kw_only=True)
class Scene:
    """A page in the experiment flow. `body` is researcher HTML, trusted and shown as is."""

    scene_id: str
    header: str = ""
    body: str = ""
    body_file: str | None = None
    button_label: str = "Continue"
    kind: ClassVar[str] = "static"
    template_name: ClassVar[str] = "frontend/scenes/static.html"

    def prepare(self, base_dir: Path) -> None:
        """Validate the configuration and read `body_file`; raises DefinitionError."""
        if not SCENE_ID_RE.match(self.scene_id):
            raise DefinitionError(f"scene id {self.scene_id!r} must be a letter followed by letters, digits, _ or -")
        if self.body_file:
            path = (base_dir / self.body_file).resolve()
            if not path.is_file():
                raise DefinitionError(f"scene {self.scene_id!r}: body_file {str(path)!r} does not exist")
            self.body = path.read_text(encoding="utf-8")

    def clean_submission(self, data: dict[str, list[str]]) -> Submission:
        """Turn posted form data into a Submission, or raise SubmissionError."""
        return Submission()

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for the admin and the definition hash."""
        return {"scene_id": self.scene_id, "kind": self.kind, "header": self.header}


@dataclass(kw_only=True)
class StaticScene(Scene):
    """A page of HTML with a Continue button."""


@dataclass(kw_only=True)
class InstructionsScene(Scene):
    """Instructions; a static page that the data marks as instructions."""

    kind: ClassVar[str] = "instructions"


@dataclass(kw_only=True)
class ConsentScene(Scene):
    """Consent: the participant must tick the box to continue; declining ends the flow politely."""

    header: str = "Consent to participate"
    checkbox_label: str = "I have read the information above and agree to take part."
    button_label: str = "I agree, continue"
    decline_label: str = "I do not agree"
    kind: ClassVar[str] = "consent"
    template_name: ClassVar[str] = "frontend/scenes/consent.html"

    def clean_submission(self, data: dict[str, list[str]]) -> Submission:
        if data.get("decision") == ["decline"]:
            return Submission(answers={"consent": False}, outcome=DECLINED_CONSENT)
        if data.get("consent") != ["yes"]:
            raise SubmissionError({"consent": "Please tick the box to give your consent, or choose not to take part."})
        return Submission(answers={"consent": True})


@dataclass(kw_only=True)
class SurveyScene(Scene):
    """A questionnaire; every answer is validated on the server."""

    questions: list[Question]
    button_label: str = "Submit"
    kind: ClassVar[str] = "survey"
    template_name: ClassVar[str] = "frontend/scenes/survey.html"

    def prepare(self, base_dir: Path) -> None:
        super().prepare(base_dir)
        if not self.questions:
            raise DefinitionError(f"survey {self.scene_id!r} has no questions")
        ids = [question.id for question in self.questions]
        if len(set(ids)) != len(ids):
            raise DefinitionError(f"survey {self.scene_id!r} has duplicate question ids")
        for question in self.questions:
            question.validate()

    def clean_submission(self, data: dict[str, list[str]]) -> Submission:
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for question in self.questions:
            try:
                answers[question.id] = question.clean(data.get(question.id, []))
            except AnswerError as error:
                errors[question.id] = str(error)
        if errors:
            raise SubmissionError(errors)
        return Submission(answers=answers)

    def describe(self) -> dict[str, Any]:
        questions = [{"id": q.id, "widget": q.widget, "label": q.label} for q in self.questions]
        return {**super().describe(), "questions": questions}


@dataclass(kw_only=True)
class EndScene(Scene):
    """The last page: marks the flow complete, shows the completion code and the way back to the platform."""

    header: str = "Thank you!"
    body: str = "<p>You have finished the study.</p>"
    redirect_url: str | None = None
    kind: ClassVar[str] = "end"
    template_name: ClassVar[str] = "frontend/scenes/end.html"
