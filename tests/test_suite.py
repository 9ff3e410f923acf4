"""The suite's own bookkeeping: every test module and test that conftest.py names still exists; benchmarks and testkit
name no test module, not even by a dotted path in a string (import-linter sees only imports: `MUG_EXPERIMENTS` is a
string), and tests name no benchmark; no test module imports another (shared helpers live in testkit/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import DB_SEMANTICS, SYSTEM

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def test_every_module_and_test_conftest_names_exists():
    modules = {path.stem: path.read_text() for path in TESTS.rglob("test_*.py")}
    missing = []
    for name in sorted(DB_SEMANTICS | SYSTEM):
        module, _, test = name.partition("::")
        if module not in modules or (test and not re.search(rf"^(async )?def {test}\(", modules[module], re.M)):
            missing.append(name)
    assert missing == []


def test_benchmarks_and_testkit_name_no_test_module_and_tests_no_benchmark():
    def naming(folders: list[str], pattern: str) -> list[str]:
        found = re.compile(pattern)
        paths = [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]
        return [str(path.relative_to(ROOT)) for path in paths if found.search(path.read_text())]

    assert naming(["bench", "testkit"], r"[\"'](tests)\.\w") == []
    assert naming(["tests", "testkit"], r"[\"'](bench)\.\w") == []


def test_no_test_module_imports_another():
    importing = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name == "tests" or name.startswith("tests.") for name in names):
                importing.append(f"{path.relative_to(ROOT)}: {names}")
    assert importing == []
