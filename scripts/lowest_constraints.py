"""Print ``name==floor`` for every direct dependency in pyproject.toml (one per line).

``scripts/test.sh`` installs these into a separate virtual environment and runs the API and engine
tests there, so a floor that no longer works (a module or import name the code needs, missing from
the oldest release allowed) fails CI instead of a user's install.

    python3 scripts/lowest_constraints.py [--extra test] > lowest.txt
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (pip vendors it too)
    from pip._vendor import tomli as tomllib

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def floor(requirement: str) -> str:
    """``"httpx>=0.27,<1"`` → ``"httpx==0.27"``; a requirement without a lower bound is an error:
    the point is that every dependency states the oldest release it works with."""
    match = _REQ.match(requirement.split(";")[0])
    if not match:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    name, _extras, spec = match.groups()
    lows = [v.strip() for op, v in re.findall(r"(>=|==|~=)\s*([^,\s]+)", spec) if op]
    if not lows:
        raise SystemExit(f"{name} has no lower bound in pyproject.toml; give it one (>=X)")
    return f"{name}=={lows[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", default=[], help="also an optional extra")
    parser.add_argument("--pyproject", default=Path(__file__).parent.parent / "pyproject.toml")
    args = parser.parse_args()
    project = tomllib.loads(Path(args.pyproject).read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in args.extra:
        requirements += project["optional-dependencies"][extra]
    sys.stdout.write("".join(floor(r) + "\n" for r in requirements))


if __name__ == "__main__":
    main()
