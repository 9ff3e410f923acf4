"""Template filters for survey forms: the values a participant posted and the error for one question."""

from django import template

register = template.Library()


@register.filter
def field_values(values: dict, question_id: str) -> list[str]:
    return values.get(question_id, [])


@register.filter
def field_error(errors: dict, question_id: str) -> str:
    return errors.get(question_id, "")
