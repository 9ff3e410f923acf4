"""Survey question types; each one cleans the raw strings a browser posted into a stored value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from experiments.definition.errors import DefinitionError

ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
REQUIRED_MESSAGE = "This question needs an answer."


class AnswerError(ValueError):
    """A posted answer that the question refuses; the message is shown to the participant."""


@dataclass(kw_only=True)
class Question:
    """One question of a survey scene."""

    id: str
    label: str
    required: bool = True
    help_text: str = ""
    widget: ClassVar[str] = ""

    def validate(self) -> None:
        """Raise DefinitionError when the researcher's configuration is unusable."""
        if not ID_RE.match(self.id):
            raise DefinitionError(f"question id {self.id!r} must be a letter followed by letters, digits, _ or -")
        if not self.label:
            raise DefinitionError(f"question {self.id!r} needs a label")

    def clean(self, raw: list[str]) -> Any:
        """Return the value to store, None when unanswered, or raise AnswerError."""
        values = [value for value in raw if value.strip() != ""]
        if not values:
            if self.required:
                raise AnswerError(REQUIRED_MESSAGE)
            return None
        return self.clean_values(values)

    def clean_values(self, values: list[str]) -> Any:
        raise NotImplementedError


@dataclass(kw_only=True)
class TextQuestion(Question):
    """Free text: one line or a multi-line box, with a server-enforced length limit."""

    multiline: bool = True
    max_length: int = 2000
    min_length: int = 0
    widget: ClassVar[str] = "text"

    def validate(self) -> None:
        super().validate()
        if not 0 <= self.min_length <= self.max_length:
            raise DefinitionError(f"question {self.id!r}: need 0 <= min_length <= max_length")

    def clean_values(self, values: list[str]) -> str:
        if len(values) != 1:
            raise AnswerError("Send one answer to this question.")
        text = values[0].strip()
        if "\x00" in text:  # no browser's text box sends it, and PostgreSQL cannot store it
            raise AnswerError("This answer contains a character that cannot be stored (NUL).")
        if len(text) > self.max_length:
            raise AnswerError(f"Please keep this answer under {self.max_length} characters.")
        if len(text) < self.min_length:
            raise AnswerError(f"Please write at least {self.min_length} characters.")
        return text


@dataclass(kw_only=True)
class ScaleQuestion(Question):
    """A Likert row of points or a slider, from `min` to `max` in `step`s, with optional labels."""

    min: int | float = 1
    max: int | float = 7
    step: int | float = 1
    labels: list[str] = field(default_factory=list)
    slider: bool = False

    @property
    def widget(self) -> str:  # type: ignore[override]
        return "slider" if self.slider else "likert"

    def points(self) -> list[int | float]:
        """The values a participant can pick, in order."""
        count = int((Decimal(str(self.max)) - Decimal(str(self.min))) / Decimal(str(self.step)))
        return [self._number(Decimal(str(self.min)) + Decimal(str(self.step)) * i) for i in range(count + 1)]

    def point_labels(self) -> list[tuple[int | float, str]]:
        """Pairs (value, label); labels spread over all points or only the two ends."""
        points = self.points()
        if len(self.labels) == len(points):
            return list(zip(points, self.labels, strict=True))
        ends = {0: self.labels[0], len(points) - 1: self.labels[-1]} if len(self.labels) == 2 else {}
        return [(point, ends.get(i, "")) for i, point in enumerate(points)]

    def validate(self) -> None:
        super().validate()
        if self.step <= 0 or self.max <= self.min:
            raise DefinitionError(f"question {self.id!r}: need min < max and step > 0")
        span = (Decimal(str(self.max)) - Decimal(str(self.min))) / Decimal(str(self.step))
        if span != span.to_integral_value() or span > 1000:
            raise DefinitionError(f"question {self.id!r}: (max - min) must be a whole number of steps, at most 1000")
        if self.labels and len(self.labels) not in (2, len(self.points())):
            raise DefinitionError(f"question {self.id!r}: give 2 end labels or one label per point")

    def clean_values(self, values: list[str]) -> int | float:
        if len(values) != 1:
            raise AnswerError("Pick one point on the scale.")
        try:
            number = Decimal(values[0].strip())
        except InvalidOperation:
            raise AnswerError("Pick a point on the scale.") from None
        if not number.is_finite() or not Decimal(str(self.min)) <= number <= Decimal(str(self.max)):
            raise AnswerError(f"Pick a value between {self.min} and {self.max}.")
        offset = (number - Decimal(str(self.min))) / Decimal(str(self.step))
        if offset != offset.to_integral_value():
            raise AnswerError("Pick one of the points on the scale.")
        return self._number(number)

    def _number(self, value: Decimal) -> int | float:
        return int(value) if value == value.to_integral_value() else float(value)


@dataclass(kw_only=True)
class ChoiceQuestion(Question):
    """Multiple choice, single or multi-select, shown as radio buttons/checkboxes or option boxes."""

    options: list[str] | list[tuple[str, str]]
    multiple: bool = False
    boxes: bool = False
    max_selected: int | None = None

    @property
    def widget(self) -> str:  # type: ignore[override]
        return "boxes" if self.boxes else "choice"

    def choices(self) -> list[tuple[str, str]]:
        """Pairs (stored value, shown label)."""
        return [option if isinstance(option, tuple) else (option, option) for option in self.options]

    def validate(self) -> None:
        super().validate()
        values = [value for value, _ in self.choices()]
        if len(values) < 2 or len(set(values)) != len(values):
            raise DefinitionError(f"question {self.id!r}: needs at least two distinct options")
        if self.max_selected is not None and not (self.multiple and 1 <= self.max_selected <= len(values)):
            raise DefinitionError(f"question {self.id!r}: max_selected needs multiple=True and 1..{len(values)}")

    def clean_values(self, values: list[str]) -> str | list[str]:
        allowed = [value for value, _ in self.choices()]
        unknown = [value for value in values if value not in allowed]
        if unknown:
            raise AnswerError("That option does not exist; pick one of the options shown.")
        if not self.multiple:
            if len(values) != 1:
                raise AnswerError("Pick only one option.")
            return values[0]
        if len(set(values)) != len(values):
            raise AnswerError("Each option can be picked once.")
        if self.max_selected is not None and len(values) > self.max_selected:
            raise AnswerError(f"Pick at most {self.max_selected} options.")
        return [value for value in allowed if value in values]
