"""The dependency rules of docs/architecture.md, checked on every import statement (ast, no import is executed)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> the project packages it may import (besides itself). See docs/architecture.md, "Dependency rules".
MAY_IMPORT: dict[str, set[str]] = {
    "vocabulary": set(),
    "atrest": set(),
    "guidance": set(),
    "diagnostics": set(),
    "media": {"atrest"},
    "tickets": {"atrest", "vocabulary"},
    "signaling": {"vocabulary"},
    "web": {"signaling", "tickets", "diagnostics", "atrest", "vocabulary"},
    "calls": {"media", "signaling", "tickets", "diagnostics", "guidance", "atrest", "vocabulary", "web"},
    "helpqueue": {"signaling", "tickets", "vocabulary"},
    "nodesync": {"signaling", "tickets", "diagnostics"},
    "reanalysis": {"calls", "nodesync", "tickets", "diagnostics", "atrest"},
    "lensdesk": {"calls", "helpqueue", "nodesync", "reanalysis", "web", "media", "signaling", "tickets", "diagnostics", "guidance", "atrest", "vocabulary"},
    "testkit": {"lensdesk", "calls", "helpqueue", "nodesync", "reanalysis", "web", "media", "signaling", "tickets", "diagnostics", "guidance", "atrest",
                "vocabulary"},
    "bench": {"testkit", "lensdesk", "calls", "helpqueue", "nodesync", "reanalysis", "web", "media", "signaling", "tickets", "diagnostics", "guidance",
              "atrest", "vocabulary"},
    # tests -> testkit <- bench: the generators both need are testkit's (testkit/synth); bench never imports tests
    "tests": {"testkit", "lensdesk", "calls", "helpqueue", "nodesync", "reanalysis", "web", "media", "signaling", "tickets", "diagnostics", "guidance",
              "atrest", "vocabulary"},
}
# The tests of bench's own scripts are the one place tests import bench.
BENCH_TESTS = ROOT / "tests" / "integration" / "bench"


def imported_packages(path: Path) -> set[str]:
    """Top-level project packages a file imports (absolute imports; relative ones stay inside the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(MAY_IMPORT)


def test_every_package_imports_only_what_the_rules_allow() -> None:
    broken = []
    for package, allowed in MAY_IMPORT.items():
        files = sorted((ROOT / package).rglob("*.py"))
        assert files, f"package {package} has no files (renamed? update MAY_IMPORT and docs/architecture.md)"
        for path in files:
            here = allowed | {"bench"} if path.is_relative_to(BENCH_TESTS) else allowed
            for imported in imported_packages(path) - here - {package}:
                broken.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not broken, "imports against docs/architecture.md's dependency rules:\n" + "\n".join(broken)


def test_every_top_level_package_has_a_rule() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages - set(MAY_IMPORT) == set(), "a new package needs its line in MAY_IMPORT and in the docs"
