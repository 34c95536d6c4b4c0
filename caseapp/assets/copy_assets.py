"""Copy the few front-end files the app serves from npm's node_modules into caseapp/static/vendor.

Run after `npm ci --prefix caseapp/assets` (the Makefile's `assets` target does both).
Nothing is fetched from a CDN at run time: government networks are often closed.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
VENDOR = HERE.parent / "static" / "vendor"

# (package, path inside the package, destination under static/vendor)
FILES = [
    ("bpmn-js", "dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"),
    ("bpmn-js", "dist/assets/bpmn-js.css", "bpmn-js/assets/bpmn-js.css"),
    ("bpmn-js", "dist/assets/diagram-js.css", "bpmn-js/assets/diagram-js.css"),
    ("bpmn-js", "dist/assets/bpmn-font/css/bpmn.css", "bpmn-js/assets/bpmn-font/css/bpmn.css"),
    ("bpmn-js", "dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-js/assets/bpmn-font/css/bpmn-embedded.css"),
    ("bpmn-js", "dist/assets/bpmn-font/font", "bpmn-js/assets/bpmn-font/font"),
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("chart.js", "dist/chart.umd.min.js", "chart.js/chart.umd.min.js"),
    ("chart.js", "LICENSE.md", "chart.js/LICENSE.md"),
    ("bpmn-js", "LICENSE", "bpmn-js/LICENSE"),
    ("htmx.org", "LICENSE", "htmx/LICENSE"),
    # the modeler (bpmn-js Modeler + Camunda 7 properties panel, moddle extension, behaviours)
    ("camunda-bpmn-js", "dist/camunda-platform-modeler.production.min.js",
     "camunda-bpmn-js/camunda-platform-modeler.production.min.js"),
    ("camunda-bpmn-js", "dist/assets", "camunda-bpmn-js/assets"),
    ("camunda-bpmn-js", "LICENSE", "camunda-bpmn-js/LICENSE"),
]


def package_version(package: str) -> str:
    return json.loads((NODE_MODULES / package / "package.json").read_text())["version"]


def main() -> int:
    if not NODE_MODULES.is_dir():
        print(f"{NODE_MODULES} is missing: run `npm ci --prefix {HERE}` first", file=sys.stderr)
        return 1
    missing = []
    for package, source, target in FILES:
        src = NODE_MODULES / package / source
        dst = VENDOR / target
        if not src.exists():
            missing.append(str(src))
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    if missing:
        print("missing in node_modules:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    versions = {package: package_version(package) for package in sorted({f[0] for f in FILES})}
    (VENDOR / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    print("vendor assets copied to", VENDOR, versions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
