"""A module beside the test envs that none of them imports (like a researcher's codes.py): it must never ship."""

PROLIFIC_COMPLETION_CODE = "C1SECRETNEVERSHIPPED"
