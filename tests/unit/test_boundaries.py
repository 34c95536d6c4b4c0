"""The design's boundary: only caseapp/engine/ imports SpiffWorkflow."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "caseapp" / "engine"


def _python_files():
    for top in ("caseapp", "forms", "timers", "bench", "migrations"):
        for path in (ROOT / top).rglob("*.py"):
            if "node_modules" not in path.parts:
                yield path
    yield ROOT / "wsgi.py"


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_only_the_engine_package_imports_spiffworkflow():
    offenders = sorted(
        str(path.relative_to(ROOT)) for path in _python_files()
        if ENGINE not in path.parents
        and any(name.split(".")[0] == "SpiffWorkflow" for name in _imported_modules(path)))
    assert offenders == []


def test_the_engine_package_is_where_spiffworkflow_is_used():
    users = [path for path in ENGINE.glob("*.py")
             if any(name.split(".")[0] == "SpiffWorkflow" for name in _imported_modules(path))]
    assert len(users) >= 3  # the check above would pass vacuously if the scan found nothing
