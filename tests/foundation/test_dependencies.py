"""Which code may import which: read from the source, function-local imports included."""

import ast
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
