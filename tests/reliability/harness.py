"""Reliability-suite helpers: engines as real child processes (their memory and their files are
then their own), with the real agent and a chosen renderer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ENGINE_TESTS = HERE.parent / "engine"
for p in (str(HERE), str(ENGINE_TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)

ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(HERE), str(ENGINE_TESTS), os.environ.get("PYTHONPATH", "")]),
}
TINY = ["--renderer", "tiny_render:render"]


class EngineProcess:
    """``python -m nemo_nb.engine`` on a data dir; stdout/stderr kept in files for scanning."""

    def __init__(
        self, data: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.data = data
        data.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.time_ns()
        self.out, self.err = (
            data.parent / f"engine-{stamp}.out",
            data.parent / f"engine-{stamp}.err",
        )
        self.p = subprocess.Popen(
            [sys.executable, "-m", "nemo_nb.engine", "--data-dir", str(data), *args],
            stdout=self.out.open("wb"), stderr=self.err.open("wb"), env={**ENV, **(env or {})},
            cwd=cwd,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not (m := re.search(r"listening on (http://\S+)", self.out.read_text())):
            if self.p.poll() is not None:
                raise RuntimeError(f"engine exited: {self.err.read_text()[-2000:]}")
            assert time.monotonic() < deadline, "engine did not start"
            time.sleep(0.01)
        self.url = m.group(1)

    @property
    def pid(self) -> int:
        return self.p.pid

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS)."""
        return _status_kb(self.p.pid, "VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        """Peak resident memory so far (VmHWM)."""
        return _status_kb(self.p.pid, "VmHWM") / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time the engine has used."""
        fields = Path(f"/proc/{self.p.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.p.poll() is None

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)
