"""Which code may import which: read from the source, function-local imports included."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {
    "accounts",
    "core",
    "exports",
    "imports",
    "kits",
    "library",
    "sp404site",
    "vibe",
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def project_imports(path: Path) -> set[str]:
    return {module for module in imported_modules(path) if module.split(".")[0] in PROJECT_PACKAGES}


MIGRATIONS = sorted(ROOT.glob("*/migrations/[0-9]*.py"))


def test_the_scanner_sees_function_local_imports(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("import os\n\ndef later():\n    from library.search import words\n")

    assert imported_modules(module) == {"os", "library.search"}


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda path: f"{path.parts[-3]}/{path.stem}")
def test_migrations_carry_their_own_code(migration):
    """A migration that imports app code is rewritten whenever that code changes."""
    assert not project_imports(migration)


def test_core_imports_no_other_app():
    """Everything may lean on core, so core leans on nothing of the project's."""
    for path in (ROOT / "core").rglob("*.py"):
        assert {module.split(".")[0] for module in project_imports(path)} <= {"core"}, path


# Which apps each app may import: core <- library <- imports, vibe, kits <- exports.
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "library": {"core"},
    "imports": {"core", "library"},
    "vibe": {"core", "library"},
    "kits": {"core", "library"},
    "exports": {"core", "library", "kits"},
}
# Imported inside functions on purpose: the analysis engine (librosa, numba)
# takes 0.6 s to import (13 s before numba's cache is warm), which a web
# process would otherwise pay at start for pages that never analyse.
ENGINE = {"library.analysis", "library.similarity", "library.corrections", "library.duplicates"}


def app_modules():
    for app in ALLOWED:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_apps_import_only_along_the_arrows(app):
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for owner, path in app_modules()
        if owner == app
        for module in project_imports(path)
        if module.split(".")[0] not in {app, *ALLOWED[app]}
    }

    assert not wrong


def local_imports(path: Path):
    """(function, what it imports) for each import inside a function: module.name for a from-import."""
    tree = ast.parse(path.read_text(), str(path))
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    yield from ((function.name, alias.name) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    yield from ((function.name, f"{node.module}.{a.name}") for a in node.names)


def test_functions_import_locally_only_to_spare_start_up_time():
    """Apart from the analysis engine, and AppConfig.ready (where Django wants it)."""
    hidden = [
        f"{path.relative_to(ROOT)}: {function} imports {module}"
        for _, path in app_modules()
        for function, module in local_imports(path)
        if function != "ready" and not any(module.startswith(heavy) for heavy in ENGINE)
    ]

    assert not hidden


def test_no_block_of_six_lines_is_repeated_in_the_app_code():
    """pylint's symilar over every app module (migrations keep their own copies on purpose)."""
    files = [str(path) for _, path in app_modules()] + [
        str(path) for path in (ROOT / "sp404site").glob("*.py")
    ]
    found = subprocess.run(
        [sys.executable, "-m", "pylint.checkers.symilar", "-d", "6", *files],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert re.search(r"duplicates=0\b", found), found
