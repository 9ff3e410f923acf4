"""The local modules a browser needs for some entry modules: what they import, found statically (an AST walk).

Everything shipped is readable by every participant who gets the scene, so only the import closure ships: a
module beside the env that nothing imports (a `codes.py`, the experiment definition) stays on the server.
"Local" is anything on the server's path that is neither the standard library nor an installed distribution,
wherever it lives (the project folder, a study folder on PYTHONPATH, a sibling package). Installed packages come
from wheels and Pyodide, never from here: the closure names the ones it imports; `mug` ships whole.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

# Top-level packages that exist only on the server: a module importing one cannot run in the browser.
SERVER_PACKAGES = frozenset(
    {"django", "channels", "daphne", "rest_framework", "experiments", "matchmaking", "netcode", "servergame", "mugsite"}
)

# CPython 3.11 keeps ast.parse's recursion check per interpreter, not per thread: two request threads building the
# first bundles at once failed with "SystemError: AST constructor recursion depth mismatch" (200 participants
# entering at once on a busy machine). One parse at a time.
_PARSE_LOCK = threading.Lock()
MISSING = "missing"  # what _locate says of a name under a project package that no file answers to
INSTALLED = "installed"  # what _locate says of a top-level name that an installed distribution provides
# Where the interpreter's own modules live: never shipped, never a distribution.
STDLIB_DIRS = tuple(
    Path(p).resolve() for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]} if p
)
INSTALL_DIRS = ("site-packages", "dist-packages")


class ClosureError(ValueError):
    """Something the browser would import cannot be resolved, or cannot run there; the message says what."""


@dataclass(frozen=True)
class Located:
    path: Path  # the .py file (a package's __init__.py)
    is_package: bool


@dataclass(frozen=True)
class Closure:
    files: dict[str, Path]  # path in the browser's site dir -> the local file shipped there
    installed: frozenset[str]  # top-level names of installed (non-stdlib) packages the shipped modules import


def import_closure(entries: list[str], root: Path, exclude: Path, browser: bool = True) -> dict[str, Path]:
    """{path in the browser's site dir (from the module's name): file} of the local modules that `entries` import
    (see closure_of)."""
    return closure_of(entries, root, exclude, browser).files


def closure_of(entries: list[str], root: Path, exclude: Path, browser: bool = True) -> Closure:
    """The local modules that `entries` import, with the __init__.py of every enclosing package (importing a module
    runs them), wherever they live on the path; and the installed packages they import. `exclude` (mug) is shipped
    separately; under `root` (the project), dot-folders (.venv) are never local.
    Raises ClosureError for an entry that does not exist, a local import that resolves to no file, or (for the
    browser) a shipped module importing a server-only package."""
    root, exclude = root.resolve(), exclude.resolve()
    files: dict[str, Path] = {}
    installed: set[str] = set()
    seen: set[str] = set()
    queue: list[tuple[str, str | None, bool]] = [(entry, None, False) for entry in entries]
    while queue:
        module, importer, optional = queue.pop()
        if module in seen:
            continue
        located = _locate(module, root, exclude)
        top = module.partition(".")[0]
        if optional and (located == MISSING or top in SERVER_PACKAGES):
            continue  # `from package import name`: name may be an attribute; the package itself is checked
        if browser and top in SERVER_PACKAGES:
            where = f"{importer} imports {module!r}" if importer else f"{module!r} is"
            raise ClosureError(
                f"{where}: server-only code (Django or MUG's server apps) that the browser cannot "
                "run. Keep the env and its policies free of server imports."
            )
        seen.add(module)
        if located == INSTALLED:
            installed.add(top)  # a distribution's package: it becomes a pinned package of the scene
            continue
        if located is None:
            if importer is None and importlib.util.find_spec(top) is None:
                raise ClosureError(f"cannot find module {module!r} to ship to the browser")
            continue  # standard library (Pyodide has it) or mug (shipped whole)
        if located == MISSING:
            by = f" (imported by {importer})" if importer else ""
            raise ClosureError(f"cannot resolve module {module!r}{by} to a file of the project")
        relative = module.replace(".", "/") + ("/__init__.py" if located.is_package else ".py")
        files[relative] = located.path
        parents = module.split(".")
        queue += [(".".join(parents[:depth]), relative, False) for depth in range(1, len(parents))]
        queue += [(name, relative, optional) for name, optional in _imports(located, module, relative)]
    return Closure(files=files, installed=frozenset(installed - SERVER_PACKAGES))


def _locate(module: str, root: Path, exclude: Path) -> Located | str | None:
    """The local file of `module`; "installed" when an installed distribution provides its top-level package;
    None when it is the standard library, mug or absent; "missing" when its top-level package is local but no file
    answers to the full name."""
    parts = module.split(".")
    if parts[0] in sys.stdlib_module_names or parts[0] in sys.builtin_module_names:
        return None
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if not locations and not (spec.has_location and spec.origin):
        return None  # built-in or frozen
    base = Path(locations[0]) if locations else Path(spec.origin)
    where = _kind(base, root, exclude)
    if where != "local":
        return where
    if not locations:  # a top-level module file
        return Located(base.resolve(), False) if len(parts) == 1 else MISSING
    directory = base.resolve()
    for index, part in enumerate(parts[1:], start=2):
        if (directory / part / "__init__.py").is_file():
            directory = directory / part
        elif (directory / f"{part}.py").is_file() and index == len(parts):
            return Located(directory / f"{part}.py", False)
        elif (directory / part).is_dir():
            directory = directory / part  # a namespace package
        else:
            return MISSING
    init = directory / "__init__.py"
    return Located(init, True) if init.is_file() else None  # a namespace package ships no file of its own


def _kind(path: Path, root: Path, exclude: Path) -> str | None:
    """ "local" (shipped), "installed" (in a site-packages folder: a distribution) or None (mug, which ships whole;
    the standard library; a dot-folder of the project)."""
    resolved = path.resolve()
    if resolved.is_relative_to(exclude):
        return None
    if any(part in INSTALL_DIRS for part in resolved.parts):
        return INSTALLED
    if any(resolved.is_relative_to(directory) for directory in STDLIB_DIRS):
        return None
    if resolved.is_relative_to(root) and any(part.startswith(".") for part in resolved.relative_to(root).parts):
        return None
    return "local"


def _imports(located: Located, module: str, relative: str) -> list[tuple[str, bool]]:
    """(module name, optional) of every import in the file, function bodies included and `if TYPE_CHECKING:`
    blocks left out; `from x import y` gives x, and x.y as optional (y may be a submodule or an attribute)."""
    try:
        source = located.path.read_text(encoding="utf-8")
        with _PARSE_LOCK:
            tree = ast.parse(source, filename=relative)
    except SyntaxError as error:
        raise ClosureError(f"{relative} does not parse: {error}") from error
    package = module if located.is_package else module.rpartition(".")[0]
    names: list[tuple[str, bool]] = []
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package, relative)
            names.append((base, False))
            names += [(f"{base}.{alias.name}", True) for alias in node.names if alias.name != "*"]
    return [(name, optional) for name, optional in names if name != module]


def _absolute(node: ast.ImportFrom, package: str, relative: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level > len(parts):
        raise ClosureError(f"{relative}: a relative import goes above the top-level package")
    anchor = parts[: len(parts) - (node.level - 1)]
    return ".".join(anchor + ([node.module] if node.module else []))


def _walk(tree: ast.AST):
    """ast.walk, skipping the bodies of `if TYPE_CHECKING:` (imports only type checkers follow)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack += child.orelse
                continue
            stack.append(child)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
