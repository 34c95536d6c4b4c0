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


def _absolute_imports(path: Path):
    """Imported module names, relative imports resolved against the file's package."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _importers(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{path.relative_to(ROOT)}: {name}" for path in folder.rglob("*.py")
                  for name in _absolute_imports(path)
                  if any(name == bad or name.startswith(bad + ".") for bad in forbidden))


def test_timers_are_entry_points_that_never_touch_models():
    """timers/ calls services; the database is the services' business."""
    assert _importers(ROOT / "timers", ("caseapp.models",)) == []


def test_the_calendar_is_domain_code_below_the_services():
    """Working days and SLA arithmetic need no database, no services and no Flask."""
    forbidden = ("caseapp.models", "caseapp.services", "caseapp.extensions", "flask")
    assert _importers(ROOT / "caseapp" / "calendar", forbidden) == []


def test_views_reach_the_engine_only_through_services():
    assert _importers(ROOT / "caseapp" / "views", ("caseapp.engine",)) == []
