"""How a participant's flow can end, and what each ending shows and issues."""

from __future__ import annotations

from dataclasses import dataclass

COMPLETED = "completed"
DECLINED_CONSENT = "declined_consent"
EXCLUDED = "excluded"
TIMED_OUT = "timed_out"
PARTNER_DROPPED = "partner_dropped"
DROPPED_OUT = "dropped_out"
NO_PARTNER = "no_partner"
RUNTIME_ERROR = "runtime_error"
SCREENED_OUT = "screened_out"

OUTCOME_CHOICES = [
    (COMPLETED, "Completed"),
    (DECLINED_CONSENT, "Declined consent"),
    (EXCLUDED, "Excluded"),
    (TIMED_OUT, "Timed out"),
    (PARTNER_DROPPED, "Partner dropped"),
    (DROPPED_OUT, "Left a group game"),
    (NO_PARTNER, "No partner found"),
    (RUNTIME_ERROR, "Technical error"),
    (SCREENED_OUT, "Screened out"),
]
OUTCOMES = [value for value, _ in OUTCOME_CHOICES]


# Endings a browser brings about by itself (a click on "decline", a screening result it reports): the server cannot
# tell a real one from a forged one, so they never carry a unique code. A runtime error is one too unless the
# server itself saw it happen (a server-side game's env raising in the host), see `earns_unique_code`.
CLAIMABLE = frozenset({DECLINED_CONSENT, SCREENED_OUT})


def earns_unique_code(outcome: str, *, witnessed: bool) -> bool:
    """Whether an ending may carry a unique completion code: only one the server witnessed, never a browser's claim."""
    return witnessed and outcome not in CLAIMABLE


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a participant gets for one ending.

    `code=None` issues a unique, unguessable code per participant, but only for an ending the server witnessed: a
    browser's claim (declining consent, screening out, a runtime error it reports) gets no code. A string is a fixed
    code shared by everyone with this ending (Prolific's study-level codes), shown for claimed endings too.
    `issue_code=False` shows no code. An ending without a code shows no "complete" link and posts nothing to MTurk:
    the page tells the participant to return the study on their platform instead.
    """

    message: str
    code: str | None = None
    issue_code: bool = True
    redirect: bool = True


DEFAULT_OUTCOMES: dict[str, Outcome] = {
    COMPLETED: Outcome(message="You have finished the study. Thank you for taking part."),
    DECLINED_CONSENT: Outcome(message="You chose not to take part. Thank you for your time.", issue_code=False),
    EXCLUDED: Outcome(
        message="This study has ended for you. Thank you for your time.",
        issue_code=False,  # exclusions can follow what a browser reports (monitoring): no code unless configured
    ),
    TIMED_OUT: Outcome(message="The time allowed for this study has run out. Thank you for your time."),
    PARTNER_DROPPED: Outcome(message="Your partner left the study, so it has ended early. Thank you for your time."),
    DROPPED_OUT: Outcome(
        message="You were away from the group game for too long, so it has ended for you. Thank you for your time.",
        issue_code=False,
    ),
    NO_PARTNER: Outcome(message="We could not find a partner for you in time. Thank you for your patience."),
    SCREENED_OUT: Outcome(
        message="Sorry, this study cannot run on your device or connection. Thank you for your interest.",
        issue_code=False,  # a browser's report: at most a fixed code the researcher configures
    ),
    # A server game that crashed gets a unique code (the server saw it); a browser's report gets none.
    RUNTIME_ERROR: Outcome(message="A technical problem stopped the game, so the study has ended for you."),
}
