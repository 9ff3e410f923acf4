"""Recruitment platforms: reading Prolific/MTurk/plain entry links and building the way back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from experiments.definition.errors import ApplicationError
from experiments.flow.models import MTURK, PLAIN, PROLIFIC

PROLIFIC_COMPLETE_URL = "https://app.prolific.com/submissions/complete"
MTURK_PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"
MTURK_SUBMIT_HOSTS = {"www.mturk.com", "workersandbox.mturk.com"}
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # ids whose format the platform does not fix
PROLIFIC_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")  # Prolific's participant ids: 24 hexadecimal characters
MTURK_ID_RE = re.compile(r"^[A-Z0-9]{1,64}$")  # MTurk's worker, assignment and HIT ids: uppercase alphanumerics
# The recruitment parameters an entry link may carry; the landing page posts these (and only these) back.
ENTRY_FIELDS = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID", "workerId", "assignmentId", "hitId", "turkSubmitTo")

BAD_ID_MESSAGE = (
    "This study link is incomplete or malformed (the {name} parameter is not a valid id). "
    "Please go back to the recruitment site and open the study from there."
)


@dataclass(frozen=True)
class EntryParams:
    """Recruitment parameters taken from an entry link."""

    source: str = PLAIN
    external_id: str = ""
    study_id: str = ""
    session_id: str = ""
    assignment_id: str = ""
    hit_id: str = ""
    turk_submit_to: str = ""
    is_preview: bool = False


def parse_entry(query: Mapping[str, str], strict: bool = True) -> EntryParams:
    """Recognise Prolific, MTurk or a plain link; raise ApplicationError on malformed ids (`strict`: in each
    platform's own format; otherwise any short id, setting MUG_STRICT_RECRUITMENT_IDS)."""
    prolific, mturk = (PROLIFIC_ID_RE, MTURK_ID_RE) if strict else (ID_RE, ID_RE)
    if query.get("PROLIFIC_PID"):
        return EntryParams(
            source=PROLIFIC,
            external_id=_checked(query, "PROLIFIC_PID", pattern=prolific),
            study_id=_checked(query, "STUDY_ID", required=False),
            session_id=_checked(query, "SESSION_ID", required=False),
        )
    if query.get("assignmentId") == MTURK_PREVIEW_ASSIGNMENT:
        return EntryParams(source=MTURK, is_preview=True)
    if query.get("workerId"):
        return EntryParams(
            source=MTURK,
            external_id=_checked(query, "workerId", pattern=mturk),
            assignment_id=_checked(query, "assignmentId", pattern=mturk),
            hit_id=_checked(query, "hitId", required=False, pattern=mturk),
            turk_submit_to=_submit_to(query.get("turkSubmitTo", "")),
        )
    return EntryParams()


def _checked(query: Mapping[str, str], name: str, required: bool = True, pattern: re.Pattern = ID_RE) -> str:
    value = query.get(name, "").strip()
    if not value and not required:
        return ""
    if not pattern.match(value):
        raise ApplicationError(BAD_ID_MESSAGE.format(name=name))
    return value


def _submit_to(value: str) -> str:
    """Only Amazon's own submit hosts are accepted, so a forged link cannot send answers elsewhere."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme != "https" or parts.hostname not in MTURK_SUBMIT_HOSTS:
        raise ApplicationError(BAD_ID_MESSAGE.format(name="turkSubmitTo"))
    return f"https://{parts.hostname}"


def entry_fields(query: Mapping[str, str]) -> list[tuple[str, str]]:
    """The recruitment parameters present in `query`, in a fixed order (for the landing page's form)."""
    return [(name, query[name]) for name in ENTRY_FIELDS if query.get(name)]


@dataclass(frozen=True)
class ReturnPath:
    """How a finished participant gets back to the platform: a link, or a form POST for MTurk."""

    url: str
    method: str = "get"
    fields: tuple[tuple[str, str], ...] = ()


def return_path(*, source: str, code: str, assignment_id: str, turk_submit_to: str, custom_url: str | None):
    """The way back for this participant, or None when there is nowhere to go.

    Without a code there is no "complete" link to Prolific and no MTurk submission (an empty code would be a
    submission the platform counts): the participant returns the study there instead (`return_instructions`).
    """
    if source == PROLIFIC:
        return ReturnPath(url=f"{PROLIFIC_COMPLETE_URL}?{urlencode({'cc': code})}") if code else None
    if source == MTURK and not code:
        return None
    if source == MTURK and turk_submit_to and assignment_id:
        fields = (("assignmentId", assignment_id), ("completion_code", code))
        return ReturnPath(url=f"{turk_submit_to}/mturk/externalSubmit", method="post", fields=fields)
    if custom_url:
        separator = "&" if "?" in custom_url else "?"
        return ReturnPath(url=f"{custom_url}{separator}{urlencode({'code': code})}" if code else custom_url)
    return None


RETURN_INSTRUCTIONS = {
    PROLIFIC: "Please return your submission on Prolific (open this study there and choose 'Return submission'), "
    "so that your place goes to someone else.",
    MTURK: "Please return this HIT on MTurk (choose 'Return' on the HIT's page).",
}


def return_instructions(source: str) -> str:
    """What a participant who ended without a code does on their platform (nothing to do for a plain link)."""
    return RETURN_INSTRUCTIONS.get(source, "")
