"""The package root: a small public surface, every advertised name resolves, imports stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nemo_nb

PACKAGE = Path(nemo_nb.__file__).parent


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> set[str]:
    """Every ``nemo_nb`` module (and outside package) that the file at ``path`` imports, wherever the
    import sits (top level, inside a function, under TYPE_CHECKING), relative ones resolved."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{base}.{alias.name}"
                found.add(sub if _is_module(sub) else base)
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _all_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports_of(package: str) -> dict[str, set[str]]:
    """Every module each file under ``nemo_nb/<package>`` imports (absolute names)."""
    paths = [PACKAGE / f"{package}.py"] if (PACKAGE / f"{package}.py").exists() else []
    paths += sorted((PACKAGE / package).rglob("*.py")) if (PACKAGE / package).is_dir() else []
    return {str(path.relative_to(PACKAGE)): _imported(path) for path in paths}


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


# Every top-level module or package of nemo_nb, bottom layer first (docs/architecture.md, Layers).
# Modules on one rank do not depend on each other's rank; a module may import its own rank or lower.
LAYERS: dict[str, int] = {
    # leaves: facts every layer may read (no nemo_nb import beyond other leaves)
    "_version": 0,
    "_samples": 0,
    "_secrets": 0,
    "_errors": 0,
    "_paths": 0,
    "_mediatype": 0,
    "_contract": 0,
    "_unicode": 0,
    "_language": 0,  # which language a prompt is in (the agent's replies, the client's summaries)
    "_threads": 0,  # a thread's scheduling priority (the renderer's producer, the engine's workers)
    "_webp": 0,  # WebP's first frame decoded at the size a fit needs (engine and render read it)
    "_html": 0,  # escaping for every HTML view (imports _unicode)
    "_theme": 0,  # the colours of every HTML view (imports nothing)
    "skills": 0,
    "render": 1,
    "engine": 2,
    "api": 3,
    "timeline": 3,
    "_connect": 4,  # picks a backend: starts the engine or builds a cloud client
    "sync": 5,  # the blocking facade over api and connect
    "conversation": 5,
    "display": 5,
    "widgets": 6,
    "lab": 6,
    "magics": 7,
    "cli": 7,
    "_render_cli": 7,
    "_demo": 7,
    "_doctor": 7,
}

# (importing module, imported module) -> why this one arrow may run up the layers. Keep it empty.
UPWARD_WITH_REASON: dict[tuple[str, str], str] = {}


def _layer_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_every_module_sits_on_a_layer():
    unplaced = {_layer_of(_module_name(p)) for p in _all_files()} - {"", *LAYERS}
    assert unplaced == set(), f"add {sorted(unplaced)} to LAYERS"


def test_no_module_inside_the_package_imports_the_package_root():
    """The root only re-exports: a module that imports a name from it sits below the root yet
    reaches above everything (version and sample photo live in leaf modules for that reason)."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in _all_files()
        if path != PACKAGE / "__init__.py" and "nemo_nb" in _imported(path)
    ]
    assert offenders == []


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = {}
    for path in _all_files():
        source = _module_name(path)
        for target in _imported(path):
            if not target.startswith("nemo_nb.") or source == "nemo_nb":
                continue
            if LAYERS[_layer_of(source)] < LAYERS[_layer_of(target)]:
                upward[(source, target)] = UPWARD_WITH_REASON.get((source, target), "")
    assert [arrow for arrow, reason in upward.items() if not reason] == []


def test_the_version_is_stated_alike_in_the_package_and_pyproject():
    import re

    from nemo_nb._version import __version__

    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    stated = re.search(r'^\[project\][^\[]*?^version = "([^"]+)"', pyproject, re.M | re.S)
    assert stated is not None and stated.group(1) == __version__ == nemo_nb.__version__


# Exception classes that never reach a person as such, each with where it turns into something else.
NOT_NEMO_ERRORS = {
    "nemo_nb.engine.media.MediaError": "the engine answers it as HTTP 4001/4002/400",
    "nemo_nb.engine.store.OutOfCredits": "the engine answers it as code 2001",
    "nemo_nb._render_cli.RenderFailed": "`nemo-nb render` prints it as its error line, exit 1",
    "nemo_nb.engine.export.DraftRefused": "the export route answers it as a 400 with its sentence",
    "nemo_nb._webp.WebPError": "the engine answers it as MediaError, the renderer as RenderInputError",
}


def _exception_classes() -> dict[str, type]:
    """Every exception class defined anywhere in the package, by dotted name."""
    import importlib

    found = {}
    for path in _all_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.bases]
        if not names:
            continue
        module = importlib.import_module(_module_name(path))
        for name in names:
            cls = getattr(module, name)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                found[f"{module.__name__}.{name}"] = cls
    return found


def test_every_error_a_user_can_meet_is_a_nemo_error():
    classes = _exception_classes()
    assert {"nemo_nb.engine.launcher.EngineStartError", "nemo_nb.timeline._model.DraftError",
            "nemo_nb.render._errors.RenderInputError", "nemo_nb.render._errors.RenderCancelled",
            "nemo_nb.conversation._export.NothingToExportError"} <= set(classes)  # fmt: skip
    outside = {name for name, cls in classes.items() if not issubclass(cls, nemo_nb.NemoError)}
    assert outside == set(NOT_NEMO_ERRORS)
    # They keep the built-in bases their callers catch.
    from nemo_nb.engine.launcher import EngineStartError
    from nemo_nb.render import RenderInputError
    from nemo_nb.timeline import DraftError

    assert issubclass(DraftError, ValueError) and issubclass(RenderInputError, ValueError)
    assert issubclass(EngineStartError, RuntimeError)


def test_the_error_names_are_listed_once_and_exported_alike():
    import nemo_nb._errors
    import nemo_nb.api

    names = nemo_nb._errors.__all__
    classes = {
        name
        for name, value in vars(nemo_nb._errors).items()
        if isinstance(value, type) and issubclass(value, nemo_nb.NemoError)
    }
    assert set(names) == classes  # every error of the tree is in the list, and nothing else
    for name in names:
        error = getattr(nemo_nb._errors, name)
        assert getattr(nemo_nb, name) is error and getattr(nemo_nb.api, name) is error
        assert name in nemo_nb.__all__ and name in nemo_nb.api.__all__


# Import circles (type-only imports count: they tie the modules together for a reader too), each
# with why it stays. A package's __init__ re-exporting its own modules is not a circle.
CIRCLES_WITH_REASON = {
    frozenset({"nemo_nb.engine._agent_draft", "nemo_nb.engine._agent_words"}): (
        "_agent_words names _agent_draft's Combo in an annotation only"
    ),
    frozenset(
        {
            "nemo_nb.timeline._model",
            "nemo_nb.timeline._frame",
            "nemo_nb.timeline._gantt",
            "nemo_nb.timeline._summary",
        }
    ): (
        "Draft's table, chart and summary methods import their modules when called; those name "
        "Draft in annotations only"
    ),
}


def _circles() -> list[frozenset[str]]:
    """Strongly connected groups of two or more modules in the import graph (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for path in _all_files():
        source = _module_name(path)
        own = path.name == "__init__.py"
        graph[source] = {
            t
            for t in _imported(path)
            if t.startswith("nemo_nb") and t != source and not (own and t.startswith(source + "."))
        }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(frozenset(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_circle():
    """E.g. the conversation's exporter and local commands must not import the conversation."""
    assert {c for c in _circles() if c not in CIRCLES_WITH_REASON} == set()
