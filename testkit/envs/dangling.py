"""An env module whose import of a project module resolves to no file: refused by `manage.py check` (E002)."""

from testkit.envs.crash import make  # noqa: F401


def later():
    import testkit.envs.missing_helper  # noqa: F401  (only a browser would find out, mid-game)
