"""Property-based: unknown draft content never crashes a view.

Random extra keys anywhere, unknown track types, missing optional fields: ``from_json``,
``summary``, ``to_dataframe``, ``styled``, ``gantt`` and ``diff`` all still work.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nemo_nb.timeline import Draft, diff

pytestmark = pytest.mark.slow  # property-based: many drafts, views and charts each

_KEYS = st.text(min_size=1, max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
)
_JUNK = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6,
)
_MS = st.integers(0, 60_000) | st.floats(0, 60_000, allow_nan=False, allow_infinity=False)


def _maybe(
    d: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """``d`` with ``key`` set from ``strategy``, or without it (missing optional field)."""
    return st.one_of(st.just(d), strategy.map(lambda v: {**d, key: v}))


@st.composite
def segments(draw: st.DrawFn) -> dict[str, Any]:
    seg: dict[str, Any] = draw(
        st.dictionaries(
            _KEYS.filter(lambda k: k not in {"st", "d", "m", "n", "txt", "src", "id"}),
            _JUNK,
            max_size=3,
        )
    )
    for key, strategy in (
        ("st", _MS), ("d", _MS), ("n", st.text(max_size=20)), ("txt", st.text(max_size=20)),
        ("src", st.sampled_from(["builtin:lofi", "https://cdn/a%20b.jpg", "", "x"])),
        ("id", st.text(max_size=4)),
    ):  # fmt: skip
        if draw(st.booleans()):
            seg[key] = draw(strategy)
    if draw(st.booleans()):
        meta = draw(st.dictionaries(_KEYS, _JUNK, max_size=3))
        meta.update(draw(st.fixed_dictionaries({}, optional={
            "fx": st.fixed_dictionaries({}, optional={"type": st.sampled_from(["jiggle", "none", "wobble", 3]), "strength": _JUNK | st.floats(0, 1), "speed": _JUNK}) | _JUNK,
            "tr": st.fixed_dictionaries({}, optional={"type": st.sampled_from(["crossfade", "none", "spin"]), "d": _JUNK}) | _JUNK,
            "vol": st.floats(0, 1) | _JUNK,
            "pos": _JUNK,
        })))  # fmt: skip
        seg["m"] = meta
    return seg


@st.composite
def tracks(draw: st.DrawFn) -> dict[str, Any]:
    track: dict[str, Any] = draw(
        st.dictionaries(_KEYS.filter(lambda k: k not in {"tt", "sg", "n", "id"}), _JUNK, max_size=2)
    )
    if draw(st.booleans()):
        track["tt"] = draw(
            st.sampled_from([0, 1, 7]) | st.integers(-3, 99) | st.text(max_size=5) | st.none()
        )
    if draw(st.booleans()):
        track["n"] = draw(st.text(max_size=10))
    if draw(st.integers(0, 4)):
        track["sg"] = draw(st.lists(segments(), max_size=4))
    return track


@st.composite
def drafts(draw: st.DrawFn) -> dict[str, Any]:
    draft: dict[str, Any] = draw(
        st.dictionaries(_KEYS.filter(lambda k: k not in {"t", "d", "m"}), _JUNK, max_size=2)
    )
    if draw(st.booleans()):
        draft["d"] = draw(_MS)
    if draw(st.booleans()):
        draft["m"] = draw(
            st.dictionaries(_KEYS, _JUNK, max_size=3)
            | st.fixed_dictionaries(
                {
                    "aspect": st.sampled_from(["9:16", "1:1"]),
                    "width": st.integers(1, 4000),
                    "height": st.integers(1, 4000),
                }
            )
        )
    draft["t"] = draw(st.lists(tracks(), max_size=4))
    return draft


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(drafts())
def test_text_views_never_crash(data: dict[str, Any]) -> None:
    draft = Draft.from_json(data)
    summary = draft.summary()
    assert summary.startswith(f"Timeline ({len(draft.tracks)} track")
    frame = draft.to_dataframe()
    assert len(frame) == sum(len(t.segments) for t in draft.tracks)
    assert isinstance(draft._repr_html_(), str)
    # Every unknown track type is shown, by its name or its type.
    for track in draft.tracks:
        assert f"{track.index}. {track.name}:" in summary


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_gantt_never_crashes(data: dict[str, Any]) -> None:
    draft = Draft.from_json(data)
    fig = draft.gantt()
    bars = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("segment:")]
    assert len(bars) == sum(len(t.segments) for t in draft.tracks)


@_SETTINGS
@given(drafts(), drafts())
def test_diff_never_crashes(a: dict[str, Any], b: dict[str, Any]) -> None:
    changes = diff(a, b)
    assert all(isinstance(c, str) and c for c in changes)
    assert diff(a, a) == []
    assert len(diff(None, b)) >= sum(len(t.segments) for t in Draft.from_json(b).tracks)


@_SETTINGS
@given(drafts(), st.data())
def test_diff_reports_a_change_to_unknown_content(
    data: dict[str, Any], pick: st.DataObject
) -> None:
    """A key we do not know still changes between drafts: the diff must say so, by name."""
    draft = Draft.from_json(data)
    after = Draft.from_json(data).to_json()
    located = [(i, j) for i, t in enumerate(after["t"]) for j, _ in enumerate(t.get("sg") or [])]
    if located and pick.draw(st.booleans()):
        i, j = pick.draw(st.sampled_from(located))
        target = after["t"][i]["sg"][j]
    else:
        target = after
    # Longer than any generated key (max 8 characters), so it is new wherever it lands.
    target["cloud_only_key"] = pick.draw(_JUNK.filter(lambda v: v is not None))  # null = absent
    changes = diff(draft, after)
    assert any("cloud_only_key" in c for c in changes), changes
