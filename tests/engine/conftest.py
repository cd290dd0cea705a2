"""Fixtures for the engine tests; the helpers they use live in ``engine_harness``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_harness import Api, RunningEngine, start_engine


@pytest.fixture
def engine_factory(tmp_path: Path) -> Iterator[Callable[..., RunningEngine]]:
    started: list[RunningEngine] = []

    def factory(data_dir: Path | None = None, **overrides: Any) -> RunningEngine:
        e = start_engine(data_dir or tmp_path / "data", **overrides)
        started.append(e)
        return e

    yield factory
    for e in started:
        e.stop()


@pytest.fixture
def engine(engine_factory: Callable[..., RunningEngine]) -> RunningEngine:
    return engine_factory()


@pytest.fixture
def api(engine: RunningEngine) -> Api:
    return Api(engine.url)
