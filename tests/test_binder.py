"""The Binder badge opens a working quickstart: proven by doing what repo2docker does.

repo2docker clones the repository, reads ``binder/`` (``runtime.txt`` for Python, ``apt.txt`` for
Debian packages, ``requirements.txt`` installed with pip from the repository root, then
``postBuild`` if present) and starts JupyterLab in that one environment. This test copies the
repository the same way (the files git would commit), builds a fresh virtual environment from
exactly those files (no system site-packages, no PYTHONPATH), and executes every notebook there
with that environment's own Jupyter and kernel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
#: The files repo2docker understands that we use; anything else in binder/ would be ignored.
KNOWN = {"requirements.txt", "runtime.txt", "apt.txt", "postBuild"}
NOTEBOOKS = ("quickstart.ipynb", "workshop.ipynb", "prompt_lab.ipynb")


def test_binder_holds_only_files_repo2docker_reads():
    present = {p.name for p in BINDER.iterdir()}
    assert present <= KNOWN, present - KNOWN
    assert {"requirements.txt", "runtime.txt", "apt.txt"} <= present
    postbuild = BINDER / "postBuild"
    if postbuild.exists():
        assert os.access(postbuild, os.X_OK)
        assert "set -e" in postbuild.read_text()


def test_binder_installs_the_repository_and_the_chinese_font():
    requirements = _lines(BINDER / "requirements.txt")
    assert "-e ." in requirements or "." in requirements  # the repo itself, from its root
    assert "fonts-wqy-microhei" in _lines(BINDER / "apt.txt")


def test_runtime_python_satisfies_the_package():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"runtime.txt must read python-3.X, not {runtime!r}"
    requires = re.search(
        r'requires-python\s*=\s*">=3\.(\d+)"', (ROOT / "pyproject.toml").read_text()
    )
    assert requires and int(match.group(1)) >= int(requires.group(1))


def repository_path(readme: str) -> str:
    """The one ``owner/name`` the README states as the repository (its "Source:" line)."""
    found = re.findall(r"^Source: <https://github\.com/([\w.-]+/[\w.-]+)>$", readme, re.M)
    assert len(found) == 1, "the README states the repository once, on a 'Source: <…>' line"
    return found[0]


def test_badge_opens_the_quickstart_of_the_repository_the_readme_states():
    readme = (ROOT / "README.md").read_text()
    repo = repository_path(readme)
    badges = re.findall(r"\]\((https://mybinder\.org/v2/gh/[^)]+)\)", readme)
    assert badges == [
        f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/notebooks/quickstart.ipynb"
    ]
    # Any other link to GitHub goes to the same repository.
    others = set(re.findall(r"https://github\.com/([\w.-]+/[\w.-]+)", readme))
    assert others <= {repo}, others


def _lines(path: Path) -> list[str]:
    text = path.read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in text if line.split("#", 1)[0].strip()]


# ---- the build itself ----------------------------------------------------------------------------


def _copy_like_a_clone(dest: Path) -> Path:
    """The files a commit of this working tree would hold (tracked + new, minus ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = Path(os.fsdecode(raw))
        src = ROOT / rel
        if src.is_file():  # a file deleted but not yet committed is skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to copy the repository as a clone")
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    python = shutil.which(f"python{version}")
    if python is None:
        pytest.fail(f"runtime.txt asks for Python {version}, which is not installed here")
    work = tmp_path_factory.mktemp("binder")
    repo = _copy_like_a_clone(work / "repo")
    venv = work / "venv"
    env = _clean_env(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        NEMO_NB_HOME=str(work / "data"),
        HOME=str(work / "home"),
        MPLBACKEND="Agg",
    )
    (work / "home").mkdir()
    subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
    # As repo2docker: pip install -r binder/requirements.txt, from the repository root.
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
        check=True,
        timeout=900,
    )
    if (repo / "binder" / "postBuild").exists():
        subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, check=True, timeout=600)
    return repo, venv, env


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_binder_environment_has_the_apt_packages_nemo_nb_and_widgets(binder_env):
    repo, venv, env = binder_env
    for package in _lines(repo / "binder" / "apt.txt"):
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
        ).stdout
        assert status == "install ok installed", f"{package} (apt.txt) is not installed here"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import nemo_nb; print(nemo_nb.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],  # not this checkout: `python -c` puts the cwd on sys.path
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(repo), where  # the copy, not this checkout
    # The widget manager is in the server's environment, so JupyterLab can draw the Studio.
    extensions = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        env=env,
    )
    listed = re.sub(r"\x1b\[[0-9;]*m", "", extensions.stdout + extensions.stderr)
    assert re.search(r"@jupyter-widgets/jupyterlab-manager v\S+ enabled OK", listed), listed


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_binder_environment_runs_the_notebook(binder_env, name):
    repo, venv, env = binder_env
    notebook = repo / "notebooks" / name
    if not notebook.exists() and not (ROOT / "notebooks" / name).exists():
        pytest.fail(f"notebooks/{name} is missing")
    done = subprocess.run(
        [
            str(venv / "bin" / "jupyter"),
            "execute",
            "--timeout=600",
            f"--output={notebook.stem}-executed",
            str(notebook),
        ],
        cwd=notebook.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = (notebook.parent / f"{notebook.stem}-executed.ipynb").read_text(encoding="utf-8")
    assert '"output_type"' in executed  # it really ran and showed something
    assert "nmv_usr_" not in executed  # no token (the engine's start with that) in any output
