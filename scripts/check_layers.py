#!/usr/bin/env python3
"""Checks that every target imports only the layers below it (the picture in Package.swift and
docs/architecture.md): each target's declared dependencies (`swift package dump-package`) and every
`import` of its sources must name only modules of the package that its row below allows.

Run from anywhere: `python3 scripts/check_layers.py`. Exits 1 naming each violation."""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The package's own modules each target may use. Absent from a row: not allowed. QuotaHTTP speaks
# HTTP only: no Redis client (AsyncRedis, CHiredis), no embedded server, no configuration.
ALLOWED = {
    "CHiredis": set(),
    "AsyncRedis": {"CHiredis"},
    "EmbeddedRedis": {"CHiredis"},
    "TokenAccounting": set(),
    "TokenQuota": {"AsyncRedis", "TokenAccounting"},
    "QuotaStores": {"AsyncRedis", "TokenQuota", "TokenAccounting"},
    "QuotaAlerts": {"AsyncRedis", "TokenQuota", "TokenAccounting"},
    "QuotaExport": {"AsyncRedis", "TokenQuota", "TokenAccounting"},
    "QuotaHTTP": {"TokenAccounting", "TokenQuota", "QuotaStores", "QuotaAlerts"},
    "QuotaDashboard": {"TokenAccounting", "TokenQuota", "QuotaStores", "QuotaAlerts", "QuotaHTTP"},
    "QuotaGateway": {"TokenAccounting", "TokenQuota", "QuotaStores", "QuotaHTTP"},
    "QuotadServer": {"AsyncRedis", "EmbeddedRedis", "TokenAccounting", "TokenQuota", "QuotaStores", "QuotaAlerts",
                     "QuotaExport", "QuotaHTTP", "QuotaDashboard", "QuotaGateway"},
    "quotad": {"QuotadServer", "QuotaHTTP", "AsyncRedis", "EmbeddedRedis", "TokenQuota", "TokenAccounting"},
    "quota-bench": {"AsyncRedis", "EmbeddedRedis", "TokenQuota", "TokenAccounting"},
}

IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public |package |internal |private |fileprivate )?import\s+(?:\w+\s+)?(\w+)", re.M)


def module_name(target: str) -> str:
    return target.replace("-", "_")


def main() -> int:
    dump = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True,
                                     capture_output=True, text=True).stdout)
    targets = {t["name"]: t for t in dump["targets"] if t["type"] in ("regular", "executable", "system")}
    own = set(targets)
    modules = {module_name(name): name for name in own}
    problems = []
    for name, target in sorted(targets.items()):
        if name not in ALLOWED:
            problems.append(f"{name}: a target with no row in scripts/check_layers.py (say which layers it may use)")
            continue
        allowed = ALLOWED[name]
        for dependency in target.get("dependencies", []):
            declared = (dependency.get("byName") or dependency.get("target") or [None])[0]
            if declared in own and declared not in allowed:
                problems.append(f"{name}: Package.swift depends on {declared}, which it may not use")
        path = ROOT / (target.get("path") or f"Sources/{name}")
        for source in sorted(path.rglob("*.swift")):
            for imported in IMPORT.findall(source.read_text(encoding="utf-8")):
                owner = modules.get(imported)
                if owner is not None and owner != name and owner not in allowed:
                    problems.append(f"{source.relative_to(ROOT)}: imports {imported}, which {name} may not use")
    for problem in problems:
        print(f"check_layers: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_layers: {len(targets)} targets import only the layers below them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
