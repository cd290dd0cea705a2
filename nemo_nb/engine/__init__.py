"""nemo-nb's embedded engine: NemoVideo's agent API served on loopback, rendering for real.

- :func:`create_app` / :class:`EngineConfig` (``nemo_nb.engine.app``): the Starlette app.
- ``python -m nemo_nb.engine`` / ``nemo-nb serve``: run it with uvicorn (``__main__``).
- :func:`nemo_nb.engine.launcher.ensure_engine`: start it as a child process or attach to it.

Imports stay lazy so that the launcher (used inside the notebook kernel) does not pull in
Starlette, PyAV or the renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "EngineConfig"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from nemo_nb.engine import app

        return getattr(app, name)
    raise AttributeError(f"module 'nemo_nb.engine' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.engine.app import EngineConfig, create_app
