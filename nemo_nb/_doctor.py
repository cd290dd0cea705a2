"""nemo-nb doctor: check that this install can do its job, and name what is missing.

Each check does the real thing on a small scale (encode two frames with H.264, pick the font the
renderer would pick for a Chinese title, write a file in the data dir, ask the engine for a token)
rather than looking for names, so a passing doctor means a render will work.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DESCRIPTION = (
    "Check this install: versions, the H.264 encoder, fonts (including one for Chinese titles), "
    "the data dir, the local engine, and the NemoVideo cloud when NEMO_TOKEN is set. "
    "Exits 0 when everything works, 1 naming what is missing."
)

#: Imported module -> the package to install when it is missing (the runtime dependencies).
REQUIRED_MODULES = {
    "httpx": "httpx",
    "httpx_sse": "httpx-sse",
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "python_multipart": "python-multipart",
    "numpy": "numpy",
    "cv2": "opencv-python-headless",
    "PIL": "pillow",
    "pillow_heif": "pillow-heif",
    "av": "av",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
    "ipywidgets": "ipywidgets",
    "platformdirs": "platformdirs",
}

#: Text the font check must be able to draw: a Latin title and a Chinese one.
FONT_PROBE = "Hello 你好"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it works, and the detail or the fix."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def check_packages() -> Check:
    """Every runtime dependency imports; lists their versions."""
    missing = []
    for module, package in REQUIRED_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        return Check(
            "packages",
            False,
            f"missing {', '.join(missing)}: run `pip install {' '.join(missing)}`.",
        )
    shown = ("httpx", "av", "numpy", "pandas", "ipywidgets", "pillow", "opencv-python-headless")
    versions = ", ".join(f"{name} {_version(name)}" for name in shown)
    return Check("packages", True, versions)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def check_encoder() -> Check:
    """PyAV encodes two real frames with libx264 (what every export uses)."""
    try:
        import io

        import av
        import numpy as np

        buffer = io.BytesIO()
        with av.open(buffer, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
            for value in (0, 255):
                frame = av.VideoFrame.from_ndarray(
                    np.full((64, 64, 3), value, np.uint8), format="rgb24"
                )
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        ffmpeg = ".".join(str(part) for part in av.library_versions.get("libavcodec", ()))
        return Check(
            "H.264 encoder", True, f"libx264 via PyAV {av.__version__} (libavcodec {ffmpeg})"
        )
    except ImportError:
        return Check("H.264 encoder", False, "PyAV is not installed: run `pip install av`.")
    except Exception as exc:
        return Check(
            "H.264 encoder",
            False,
            f"PyAV cannot encode H.264 ({exc}): run `pip install --force-reinstall av`.",
        )


def check_fonts() -> Check:
    """The renderer's own font choice for a Latin and a Chinese title."""
    try:
        from nemo_nb.render import _text

        path, drawn = _text.choose_font(FONT_PROBE, True, "doctor's test title")
    except Exception as exc:  # RenderInputError: no font has the Chinese characters
        return Check(
            "fonts",
            False,
            f"no font for Chinese titles ({_first_sentence(exc)}): on Debian/Ubuntu run "
            "`apt-get install fonts-wqy-microhei`.",
        )
    if drawn != FONT_PROBE:
        return Check("fonts", False, "titles would lose characters: install fonts-wqy-microhei.")
    return Check("fonts", True, f"titles incl. Chinese drawn with {Path(path).name}")


def _first_sentence(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split("; ")[0].rstrip(".") if text else type(exc).__name__


def check_data_dir() -> Check:
    """The data dir exists (or can be made) and a file can really be written there."""
    raw = os.environ.get("NEMO_NB_HOME")
    try:
        from nemo_nb import _paths

        path = _paths.data_dir()
    except OSError as exc:
        where = raw or "the platform's data dir"
        return Check(
            "data dir",
            False,
            f"{where} cannot be created ({exc.strerror or exc}): set NEMO_NB_HOME to a folder "
            "you can write to.",
        )
    # os.access says what the permission bits allow; root ignores them, so also really write.
    if not os.access(path, os.W_OK | os.X_OK):
        return Check(
            "data dir",
            False,
            f"{path} is read-only: set NEMO_NB_HOME to a folder you can write to.",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return Check(
            "data dir",
            False,
            f"{path} cannot be written ({exc.strerror or exc}): set NEMO_NB_HOME to a folder "
            "you can write to.",
        )
    free_gb = _free_gb(path)
    return Check("data dir", True, f"{path} (writable, {free_gb:.1f} GB free)")


def _free_gb(path: Path) -> float:
    import shutil

    return shutil.disk_usage(path).free / 1e9


async def _probe_backend(backend: str) -> str:
    from nemo_nb._connect import connect

    client = await connect(backend)
    async with client:
        credits = await client.credits()
        return f"{client.base_url} answers ({credits.available} credits)"


def check_engine() -> Check:
    """Start (or attach to) the local engine and get a token and a balance from it."""
    try:
        detail = asyncio.run(asyncio.wait_for(_probe_backend("local"), 60))
    except OSError as exc:  # usually the data dir: the engine keeps its lock and state there
        return Check("local engine", False, f"cannot start ({exc.strerror}: {exc.filename}).")
    except Exception as exc:
        return Check(
            "local engine", False, f"{_first_sentence(exc)}: see engine.log in the data dir."
        )
    return Check("local engine", True, detail)


def check_cloud() -> Check | None:
    """The NemoVideo cloud, only when a token is set (the token itself is never shown)."""
    if not os.environ.get("NEMO_TOKEN"):
        return None
    try:
        detail = asyncio.run(asyncio.wait_for(_probe_backend("cloud"), 60))
    except Exception as exc:  # the client's errors never contain the token
        return Check("NemoVideo cloud", False, f"{_first_sentence(exc)}.")
    return Check("NemoVideo cloud", True, f"{detail} with your NEMO_TOKEN")


CHECKS: tuple[Callable[[], Check | None], ...] = (
    check_packages,
    check_encoder,
    check_fonts,
    check_data_dir,
    check_engine,
    check_cloud,
)


def build_parser(prog: str = "nemo-nb doctor") -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=DESCRIPTION)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nemo-nb doctor``."""
    build_parser().parse_args(argv)
    from nemo_nb._version import __version__

    print(
        f"nemo-nb {__version__} on Python {platform.python_version()} "
        f"({sys.platform}, {platform.machine()})"
    )
    results = []
    for check in CHECKS:
        result = check()  # None: the check does not apply here (no token, no cloud check)
        if result is not None:
            print(result.line(), flush=True)
            results.append(result)
    failed = [r.name for r in results if not r.ok]
    if failed:
        print(f"Missing or broken: {', '.join(failed)}.")
        return 1
    print("Everything nemo-nb needs is here.")
    return 0
