"""The package root: a small public surface, every advertised name resolves, imports stay light."""

from __future__ import annotations

import subprocess
import sys

import nemo_nb


def test_every_exported_name_resolves():
    for name in nemo_nb.__all__:
        assert getattr(nemo_nb, name) is not None, name


def test_unknown_attribute_is_a_clear_error():
    try:
        nemo_nb.does_not_exist  # noqa: B018
    except AttributeError as exc:
        assert "does_not_exist" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_or_the_engine_pulls_in_no_ui_or_dataframes():
    code = (
        "import sys, nemo_nb, nemo_nb.engine.app, nemo_nb.render;"
        "heavy = [m for m in ('pandas', 'ipywidgets', 'matplotlib.pyplot', 'nemo_nb.api',"
        " 'nemo_nb.conversation', 'nemo_nb.timeline') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"engine/render imported {out.stdout.strip()}"


def _imports_of(package: str) -> dict[str, set[str]]:
    """Every module each file under ``nemo_nb/<package>`` imports (absolute names)."""
    import ast
    from pathlib import Path

    root = Path(nemo_nb.__file__).parent
    found: dict[str, set[str]] = {}
    paths = [root / f"{package}.py"] if (root / f"{package}.py").exists() else []
    paths += sorted((root / package).rglob("*.py")) if (root / package).is_dir() else []
    for path in paths:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(root))] = names
    return found


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{file} imports {name}"
        for file, names in _imports_of(package).items()
        for name in sorted(names)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_layers_only_import_downwards():
    upper = (
        "nemo_nb.api",
        "nemo_nb.conversation",
        "nemo_nb.widgets",
        "nemo_nb.timeline",
        "nemo_nb.sync",
        "nemo_nb._connect",
    )
    assert _offenders("engine", upper) == []
    assert _offenders("render", (*upper, "nemo_nb.engine")) == []
    assert (
        _offenders(
            "timeline", ("nemo_nb.api", "nemo_nb.conversation", "nemo_nb.engine", "nemo_nb.render")
        )
        == []
    )
    assert (
        _offenders(
            "conversation",
            ("httpx", "httpx_sse", "nemo_nb.engine", "nemo_nb.render", "nemo_nb.widgets"),
        )
        == []
    )
    assert _offenders("display", ("httpx", "nemo_nb.api", "nemo_nb.engine")) == []
