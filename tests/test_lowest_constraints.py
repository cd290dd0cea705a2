"""scripts/lowest_constraints.py: every direct dependency states a floor, and the floors are read
as the exact pins the lowest-versions CI job installs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from lowest_constraints import floor  # noqa: E402


def test_floors_of_the_real_pyproject() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lowest_constraints.py")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.splitlines()  # fmt: skip
    pins = dict(line.split("==") for line in out)
    # the floors issue 11 fixed: decoders since 0.4.2; python_multipart name and CVE fix
    assert pins["httpx-sse"] == "0.4.2" and pins["python-multipart"] == "0.0.18"
    assert pins["opencv-python-headless"] == "4.9.0.80"  # a release that exists, not "4.9"
    assert len(pins) >= 15 and all(v[0].isdigit() for v in pins.values())


@pytest.mark.parametrize(
    ("requirement", "pin"),
    [
        ("httpx>=0.27,<1", "httpx==0.27"),
        ("httpx-sse >= 0.4.2, <0.5", "httpx-sse==0.4.2"),
        ("uvicorn[standard]>=0.29", "uvicorn==0.29"),
        ("av>=12; python_version >= '3.10'", "av==12"),
        ("numpy~=1.26", "numpy==1.26"),
    ],
)
def test_a_requirement_becomes_its_floor(requirement: str, pin: str) -> None:
    assert floor(requirement) == pin


def test_a_dependency_without_a_floor_is_refused() -> None:
    with pytest.raises(SystemExit, match="no lower bound"):
        floor("pandas<3")
