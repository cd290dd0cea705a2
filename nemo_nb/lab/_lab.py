"""The Prompt Lab: every image × prompt × skill in its own session, side by side, each previewed
(or exported) and measured."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as _dt
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nemo_nb import _paths
from nemo_nb._contract import PREVIEW, RENDER_QUALITIES
from nemo_nb._html import escape
from nemo_nb._mediatype import is_url
from nemo_nb._unicode import valid_text
from nemo_nb.conversation import export_stem, unique_path
from nemo_nb.display import VideoPreview, show_video
from nemo_nb.lab._cards import CARD_WIDTH, card_html, grid_html
from nemo_nb.lab._runner import export_variant, run_variant
from nemo_nb.lab._scores import SCORE_COLUMNS, MotionScores, score_render
from nemo_nb.lab._variant import COLUMNS, Variant
from nemo_nb.skills import Skill, get_skill

__all__ = ["PromptLab", "DEFAULT_CONCURRENCY"]

log = logging.getLogger("nemo_nb.lab")

#: Variants in flight at once. Small on purpose: the engine renders one job at a time, so more
#: would only lengthen its queue, and a Studio session's export waits behind at most these.
DEFAULT_CONCURRENCY = 2
#: At most ~20 redraws a second, however fast progress comes in.
REDRAW_INTERVAL_S = 0.05
MANIFEST = "manifest.json"
_MANIFEST_FORMAT = "nemo-nb prompt lab"
#: While the live grid is on the page, its static copy (for viewers without widgets) is hidden.
_HIDE_SNAPSHOT = (
    "<style>.nemo-lab-snapshot{display:none !important}"
    ".jp-OutputArea-child:has(.nemo-lab-snapshot){display:none}</style>"
)
#: Columns sorted low to high by default (lower is better); others high to low.
_ASCENDING = frozenset({"seam", "render_s", "size_bytes", "credits_used"})
#: The Sort menu's columns and their labels.
SORTABLE: dict[str, str] = {
    "motion": "motion",
    "subject_focus": "subject focus",
    "seam": "seam (loop)",
    "render_s": "render time",
}

ImageArg = str | os.PathLike[str]


class PromptLab:
    """Compare prompts, skills and photos: every combination runs in its own session, gets the
    same follow-ups, and is previewed (or exported) and measured; the results show as a grid of
    cards and a table.

    >>> lab = nemo_nb.PromptLab(photo, ["make it jiggle", "make it bounce"],
    ...                         skills=["image-to-video-jiggle", "ai-animation-photo"])
    >>> await lab.run()        # one progress bar; cards fill in as variants finish
    >>> lab.frame              # one row per variant, with its motion scores
    >>> lab.sort_by("motion")  # the grid, most motion first (or the Sort menu above it)
    >>> await lab.export(0, 2) # the chosen variants at full quality (or a card's button)
    >>> lab.save("my-lab")     # MP4s, filmstrip posters, manifest.json
    >>> nemo_nb.PromptLab.load("my-lab")   # the same grid and table, without rendering

    ``images``: a photo (path or URL) or a list of them, each its own variant; put several
    photos in an inner list to give one variant all of them. ``prompts``: a prompt or a list;
    ``None`` pairs each skill with its own first "Try saying…" prompt instead of crossing them.
    ``skills``: names or :class:`~nemo_nb.Skill` s (default: the default skill). ``follow_ups``
    are sent after each prompt, in order. ``concurrency``: variants in flight at once (default
    2). ``backend`` goes to :func:`nemo_nb.connect` (the embedded engine unless ``NEMO_TOKEN``).
    ``quality``: ``"preview"`` fills the grid with the local engine's previews in seconds (360 px
    on the short side; :meth:`export` then renders the chosen ones at full quality), ``"high"``
    exports every variant; ``None`` (the default) previews on the local engine and exports on
    the cloud, which makes no previews.

    Every clip is measured (:func:`~nemo_nb.lab._scores.score_clip`): ``motion`` (mean optical
    flow, px per frame at 1080p), ``subject_focus`` (flow on the subject ÷ flow around it: ~1
    when the whole frame moves) and ``seam`` (the loop's jump ÷ a usual frame step: ~1 when the
    loop is seamless) are columns of :attr:`frame` and rows of each card.
    """

    def __init__(
        self,
        images: ImageArg | Sequence[ImageArg | Sequence[ImageArg]],
        prompts: str | Sequence[str] | None = None,
        *,
        skills: str | Skill | Iterable[str | Skill] | None = None,
        follow_ups: str | Sequence[str] = (),
        concurrency: int | None = None,
        backend: str = "auto",
        quality: str | None = None,
    ) -> None:
        if quality is not None and quality not in RENDER_QUALITIES:
            names = " or ".join(f'"{q}"' for q in reversed(RENDER_QUALITIES))
            raise ValueError(
                f"quality must be {names} (or None: previews on the local engine, full quality "
                f"on the cloud), not {quality!r}."
            )
        image_sets = _image_sets(images)
        skill_names = _skill_names(skills)
        follow = _texts(follow_ups, "follow-up", allow_empty=True)
        if prompts is None:  # each skill with its own headline prompt
            pairs = [(get_skill(s).suggested_prompts[0], s) for s in skill_names]
        else:
            pairs = [(p, s) for p in _texts(prompts, "prompt") for s in skill_names]
        variants = [
            Variant(0, images=group, prompt=prompt, skill=skill, follow_ups=follow)
            for group in image_sets
            for prompt, skill in pairs
        ]
        for i, v in enumerate(variants):
            v.index = i
        concurrency = DEFAULT_CONCURRENCY if concurrency is None else int(concurrency)
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}.")
        self._setup(variants, concurrency=concurrency, backend=backend, quality=quality)

    def _setup(
        self, variants: list[Variant], *, concurrency: int, backend: str, quality: str | None
    ) -> None:
        self.variants: list[Variant] = variants
        self.concurrency = concurrency
        self.backend = backend
        #: What :meth:`run` makes: "preview", "high", or ``None`` (decided by the backend).
        self.quality = quality
        self._order: list[int] = list(range(len(variants)))  # the grid's order (sort_by)
        self._syncing_menu = False
        self._snapshot: Any = None  # the display of the grid's static copy (from run())
        #: Where this lab's sessions keep history and pending renders, and its MP4s land.
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.work_dir: Path = _paths.data_dir() / "labs" / stamp
        self.elapsed_s: float | None = None
        self._previews: dict[int, VideoPreview] = {}
        self._task: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None  # run() started from the Run button
        self._cancelling = False
        self._started_at: float | None = None
        self._view: Any = None
        self._widgets: dict[str, Any] = {}
        self._dirty: set[int] = set()
        self._redraw: asyncio.TimerHandle | None = None

    # ---- views -----------------------------------------------------------------------------------
    @property
    def frame(self) -> Any:
        """A pandas DataFrame, one row per variant (in the lab's order, whatever the grid's):
        image, prompt, skill, effects, strength, duration_s, aspect, title, music, render_s,
        size_bytes, credits_used, the motion scores (motion, subject_focus, seam), quality
        ("preview" or "high": what ``path`` is), path (the clip), export_path (the full-quality
        MP4), error, status and the agent's reply.

        ``render_s`` is the server's time from the export's submission (or its start, when the
        server says) to the finished MP4, so a render that queued behind another counts its wait;
        for a preview, the time from asking to the file on disk.
        """
        import pandas as pd

        return pd.DataFrame([v.row() for v in self.variants], columns=list(COLUMNS))

    @property
    def running(self) -> bool:
        """True while :meth:`run` is working."""
        return self._task is not None and not self._task.done()

    def headline(self) -> str:
        """One line: how many variants, how many done or failed, and how long the run took."""
        n = len(self.variants)
        counts = {
            s: sum(v.status == s for v in self.variants) for s in ("done", "failed", "cancelled")
        }
        parts = [f"Prompt Lab: {n} variant{'s' if n != 1 else ''}"]
        parts += [f"{k} {s}" for s, k in counts.items() if k]
        if self.running and self._started_at is not None:
            parts.append(f"{time.monotonic() - self._started_at:.0f} s so far")
        elif self.elapsed_s is not None:
            parts.append(f"in {self.elapsed_s:.1f} s")
        return " · ".join(parts)

    def _preview(self, variant: Variant) -> VideoPreview | None:
        """The card's looping preview, made once (a loaded lab makes it from its saved MP4)."""
        preview = self._previews.get(variant.index)
        path = variant.path if variant.status == "done" else None
        if preview is None and path and Path(path).is_file():
            preview = self._previews[variant.index] = show_video(
                path, width=CARD_WIDTH, label=_label(variant)
            )
        return preview

    def html(self) -> str:
        """The grid as static HTML (what GitHub and nbviewer show: previews carry filmstrips),
        in the grid's order."""
        previews = {v.index: p for v in self.variants if (p := self._preview(v)) is not None}
        ordered = [self.variants[i] for i in self._order]
        return grid_html(ordered, previews, self.headline())

    def sort_by(self, column: str | None, *, descending: bool | None = None) -> Any:
        """Order the grid by a column of :attr:`frame` (what the Sort menu above the grid does),
        variants without a value last; returns the frame in that order. ``descending`` defaults
        to most first, except for ``seam``, ``render_s``, ``size_bytes`` and ``credits_used``
        (least first). ``None`` puts the grid back in the lab's order.

        >>> lab.sort_by("motion")          # the liveliest first
        >>> lab.sort_by("seam")            # the most seamless loops first
        """
        frame = self.frame
        if column is None:
            self._order = list(range(len(self.variants)))
        else:
            if column not in frame.columns:
                raise ValueError(
                    f"There is no column {column!r} to sort by; try one of "
                    f"{', '.join(SCORE_COLUMNS)}, or any column of lab.frame."
                )
            down = column not in _ASCENDING if descending is None else descending
            ranked = frame[column].sort_values(
                ascending=not down, na_position="last", kind="stable"
            )
            self._order = [int(i) for i in ranked.index]
        menu = self._widgets.get("sort")
        if menu is not None:  # the menu says what the grid is sorted by (or "lab order")
            self._syncing_menu = True
            try:
                menu.value = column if column in SORTABLE else ""  # "": the lab's order
            finally:
                self._syncing_menu = False
        self._place_cards()
        self._changed(None)
        self._update_snapshot()
        return frame.iloc[self._order]

    def widget(self) -> Any:
        """The live grid: Run and Cancel buttons, one progress bar for the run, a Sort menu, and
        a card per variant (with "Export full quality" once its preview is in)."""
        if self._view is None:
            self._view = self._build_view()
        return self._view

    def _build_view(self) -> Any:
        import ipywidgets as w  # type: ignore[import-untyped]

        run = w.Button(description="Run", icon="play", tooltip="Run every variant")
        cancel = w.Button(description="Cancel", icon="stop", tooltip="Stop the run and its renders")
        run.on_click(lambda _: self.start())
        cancel.on_click(lambda _: self._spawn(self.cancel()))
        bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="240px"))
        status = w.HTML(escape(self.headline()))
        sort = w.Dropdown(
            options=[("lab order", "")] + [(label, c) for c, label in SORTABLE.items()],
            value="", description="Sort", layout=w.Layout(width="210px"),
            style={"description_width": "34px"},
        )  # fmt: skip
        sort.add_class("nemo-lab-sort")
        sort.observe(self._on_sort_menu, "value")
        cards, exports = [], []
        for v in self.variants:
            card = w.HTML(card_html(v, self._preview(v)))
            export = w.Button(
                description="Export full quality", icon="film", layout=w.Layout(width="auto"),
                tooltip="Render this variant's timeline at full quality",
            )  # fmt: skip
            export.add_class("nemo-lab-export")
            export.on_click(lambda _b, i=v.index: self._spawn(self._export_from_card(i)))
            cards.append(card)
            exports.append(export)
        boxes = [w.VBox([c, e]) for c, e in zip(cards, exports, strict=True)]
        grid = w.GridBox(
            layout=w.Layout(
                grid_template_columns="repeat(auto-fill, minmax(230px, 1fr))", grid_gap="10px"
            ),
        )
        self._widgets = {"run": run, "cancel": cancel, "bar": bar, "status": status,
                         "cards": cards, "exports": exports, "boxes": boxes, "grid": grid,
                         "sort": sort}  # fmt: skip
        self._place_cards()
        self._dirty.update(range(len(self.variants)))
        self._flush()
        return w.VBox([w.HTML(_HIDE_SNAPSHOT), w.HBox([run, cancel, bar, status, sort]), grid])

    def _on_sort_menu(self, change: dict[str, Any]) -> None:
        if not self._syncing_menu:
            self.sort_by(change["new"] or None)

    def _place_cards(self) -> None:
        if self._widgets.get("grid") is not None:
            boxes = self._widgets["boxes"]
            self._widgets["grid"].children = tuple(boxes[i] for i in self._order)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        if all(v.finished for v in self.variants):
            return self._static_bundle()
        return self._live_bundle()

    def _static_bundle(self) -> dict[str, Any]:
        """The grid as HTML: what every viewer shows, with or without widgets."""
        return {"text/plain": repr(self), "text/html": self.html()}

    def _live_bundle(self) -> dict[str, Any]:
        """The live widget; viewers without its state fall back to the HTML."""
        return {**self.widget()._repr_mimebundle_(), **self._static_bundle()}

    def _snapshot_bundle(self) -> dict[str, Any]:
        """The grid as HTML in an output of its own, hidden while the live grid is on the page:
        what a saved notebook shows where widgets do not run."""
        html = f'<div class="nemo-lab-snapshot">{self.html()}</div>'
        return {"text/plain": repr(self), "text/html": html}

    def __repr__(self) -> str:
        return f"<{self.headline()}>"

    # ---- redraws (trait assignments, coalesced) ---------------------------------------------------
    def _changed(self, variant: Variant | None) -> None:
        if variant is not None:
            self._dirty.add(variant.index)
        if self._view is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        if self._redraw is None:
            self._redraw = loop.call_later(REDRAW_INTERVAL_S, self._flush)

    def _flush(self) -> None:
        self._redraw = None
        if not self._widgets:
            return
        dirty, self._dirty = self._dirty, set()
        for index in sorted(dirty):
            variant = self.variants[index]
            self._widgets["cards"][index].value = card_html(variant, self._preview(variant))
            export = self._widgets["exports"][index]
            export.layout.display = "" if _exportable(variant) else "none"
            export.disabled = variant.stage.startswith("Exporting")
        total = sum(v.progress for v in self.variants)
        self._widgets["bar"].value = total / max(1, len(self.variants))
        self._widgets["status"].value = escape(self.headline())
        self._widgets["run"].disabled = self.running
        self._widgets["cancel"].disabled = not self.running

    # ---- running ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Run every variant not done yet (at most ``concurrency`` at once) and show the grid.

        A failing variant shows its error in its card and the others go on. Interrupting the
        kernel while a cell awaits this (or :meth:`cancel`, or the Cancel button of a run begun
        with :meth:`start`) stops the run and cancels its renders on the server. In a notebook the
        live grid stays (its Sort menu and Export buttons keep working) and a static copy of it
        follows, shown where widgets do not run, so a saved notebook shows the results (previews
        with filmstrips) on GitHub and nbviewer too.
        """
        if self.running:
            raise RuntimeError("This lab is already running; await lab.cancel() to stop it.")
        handle = self._display_live()
        self._cancelling = False
        self._task = asyncio.ensure_future(self._run_all())
        try:
            await self._task
        except asyncio.CancelledError:
            if not self._cancelling:
                raise
        finally:
            self._flush()
            self._snapshot = handle
            self._update_snapshot()

    def start(self) -> asyncio.Task[None]:
        """Start :meth:`run` in the background (what the Run button does); returns its task."""
        self._runner = self._spawn(self.run())
        return self._runner

    async def cancel(self) -> None:
        """Stop the run: unfinished variants end "cancelled" and their renders are cancelled on
        the server, so no job of this lab keeps the engine busy."""
        task = self._task
        if task is None or task.done():
            return
        self._cancelling = True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)

        def report(done: asyncio.Task[Any]) -> None:
            if not done.cancelled() and done.exception() is not None:
                exc = done.exception()
                log.error("prompt lab: %s", exc)
                if self._widgets:
                    self._widgets["status"].value = f"✗ {type(exc).__name__}: {exc}"

        task.add_done_callback(report)
        return task

    def _update_snapshot(self) -> None:
        """Bring the grid's static copy up to date (after a run, a sort, an export)."""
        if self._snapshot is not None:
            self._snapshot.update(self._snapshot_bundle(), raw=True)

    def _display_live(self) -> Any:
        """Show the live grid in the running cell (in IPython), then its static copy (hidden
        while the grid is on the page); returns the copy's display handle."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython is a dependency
            return None
        if get_ipython() is None:
            return None
        view = self.widget()._repr_mimebundle_()
        display({**view, "text/plain": repr(self)}, raw=True)
        return display(self._snapshot_bundle(), raw=True, display_id=True)

    async def _run_all(self) -> None:
        from nemo_nb._connect import connect

        todo = [v for v in self.variants if v.status != "done"]
        for v in todo:
            v.status, v.stage, v.progress, v.error = "queued", "Waiting for its turn…", 0.0, None
            self._changed(v)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._started_at = time.monotonic()
        clients: dict[str, Any] = {}
        tasks: list[asyncio.Task[None]] = []
        slots = asyncio.Semaphore(self.concurrency)
        ledger = asyncio.Lock()  # see run_variant: each variant's credits are its own
        try:
            # One client per skill: the skill travels as a header on every call of a client.
            try:
                for name in dict.fromkeys(v.skill for v in todo):
                    clients[name] = await connect(self.backend, skill=name)
            except Exception as exc:  # no server to talk to: every card says why, then raise
                for v in todo:
                    v.fail(str(exc))
                raise
            quality = self._quality_on(next(iter(clients.values()))) if clients else "high"
            tasks = [
                asyncio.ensure_future(self._run_one(v, clients[v.skill], slots, ledger, quality))
                for v in todo
            ]
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if clients:
                await self._cancel_renders(next(iter(clients.values())))
            raise
        finally:
            self.elapsed_s = round(time.monotonic() - self._started_at, 3)
            for client in clients.values():
                with contextlib.suppress(Exception):
                    await client.aclose()
            self._changed(None)

    def _quality_on(self, client: Any) -> str:
        """What this run makes: the lab's quality, else previews where the server makes them."""
        from nemo_nb.conversation import renders_previews

        if self.quality is not None:
            return self.quality
        return PREVIEW if renders_previews(client) else "high"

    async def _run_one(
        self,
        variant: Variant,
        client: Any,
        slots: asyncio.Semaphore,
        ledger: asyncio.Lock,
        quality: str,
    ) -> None:
        try:
            async with slots:
                path = await run_variant(
                    variant, client, self.work_dir, self._changed, ledger, quality
                )
                if path is not None:
                    variant.stage = "Measuring the motion…"
                    self._changed(variant)
                    # both off the event loop, side by side (each decodes the clip)
                    variant.scores, self._previews[variant.index] = await asyncio.gather(
                        asyncio.to_thread(_measured, path, variant),
                        asyncio.to_thread(
                            show_video, path, width=CARD_WIDTH, label=_label(variant)
                        ),
                    )
                    variant.status, variant.stage, variant.progress = "done", "Done", 1.0
        except asyncio.CancelledError:
            variant.status, variant.stage, variant.progress = "cancelled", "Cancelled", 1.0
            variant.error = "Cancelled before it finished."
            raise
        except Exception as exc:  # one variant's failure never stops the others
            log.exception("prompt lab variant %d failed", variant.index)
            variant.fail(f"Something went wrong: {exc}".rstrip(".") + ".")
        finally:
            self._changed(variant)

    async def _cancel_renders(self, client: Any) -> None:
        """Cancel every render this lab submitted and has not downloaded."""
        from nemo_nb.api import NemoError
        from nemo_nb.conversation import PendingRenders

        # The lab's conversations keep their data in work_dir and record submitted jobs there
        # until downloaded: that catches a job submitted a moment before the cancel, whose id no
        # update has carried yet.
        pending = PendingRenders.in_dir(self.work_dir)
        ids = {p.render_id for p in pending.all()}
        ids |= {r for v in self.variants if v.status != "done" for r in v.render_ids}
        for render_id in sorted(ids):
            try:
                await asyncio.shield(client.cancel_render(render_id))
            except NemoError as exc:
                log.info("could not cancel render %s: %s", render_id, exc)
            pending.remove(render_id)

    # ---- full quality ----------------------------------------------------------------------------
    async def export(self, *rows: int | Variant) -> list[Path]:
        """Render the chosen variants at full quality (the rows of :attr:`frame`, or variants),
        each in its own session as previewed, one after the other; returns the MP4s' paths, also
        in the frame's ``export_path``. A variant exported already is not rendered again (in
        ``quality="high"`` every variant is). What a card's "Export full quality" button does.
        Raises the server's error (e.g. ``RenderError``) for a render that fails.
        """
        from nemo_nb._connect import connect

        chosen = [self._variant_at(row) for row in rows]
        if not chosen:
            raise ValueError("Say which variants to export, e.g. await lab.export(0, 2).")
        paths: list[Path] = []
        clients: dict[str, Any] = {}
        try:
            for variant in chosen:
                if variant.export_path and Path(variant.export_path).is_file():
                    paths.append(Path(variant.export_path))
                    continue
                if variant.skill not in clients:
                    clients[variant.skill] = await connect(self.backend, skill=variant.skill)
                paths.append(
                    await export_variant(
                        variant, clients[variant.skill], self.work_dir, self._changed
                    )
                )
        finally:
            for client in clients.values():
                with contextlib.suppress(Exception):
                    await client.aclose()
            self._update_snapshot()
        return paths

    def _variant_at(self, row: int | Variant) -> Variant:
        if isinstance(row, Variant):
            if row not in self.variants:
                raise ValueError(f"Variant #{row.index + 1} is not one of this lab's.")
            return row
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < len(self.variants):
            raise ValueError(
                f"There is no row {row!r}: the lab has rows 0 to {len(self.variants) - 1}."
            )
        return self.variants[row]

    async def _export_from_card(self, index: int) -> None:
        """A card's "Export full quality": the export, its outcome on the card."""
        variant = self.variants[index]
        try:
            await self.export(index)
        except Exception as exc:  # the card says why; the variant itself stays done
            variant.stage = f"Export failed: {exc}"
        self._changed(variant)

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write each variant's MP4 (a preview's full-quality export too, when made), its
        filmstrip poster (PNG) and ``manifest.json`` to ``folder``; the lab then refers to the
        saved copies. Returns the folder."""
        if self.running:
            raise RuntimeError("The lab is still running; await it or cancel it before saving.")
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for v in self.variants:
            mp4 = poster = export = None
            stem = export_stem(v.parsed_draft())  # the photo and its effects, as every export
            if v.quality == PREVIEW and v.export_path and Path(v.export_path).is_file():
                exported = _keep(Path(v.export_path), folder, stem)
                export, v.export_path = exported.name, str(exported)
            if v.path and Path(v.path).is_file():
                clip = f"{stem}-preview" if v.quality == PREVIEW else stem  # a preview says so
                target = _keep(Path(v.path), folder, clip)
                mp4, poster = target.name, f"{target.stem}.png"
                if v.quality != PREVIEW:
                    v.export_path = str(target)
                preview = self._preview(v)
                if preview is not None and preview.poster is not None:
                    (folder / poster).write_bytes(preview.poster)
                    self._previews[v.index] = dataclasses.replace(preview, path=target)
                v.path = str(target)
            entries.append(v.to_manifest(mp4, poster, export))
        manifest = {
            "format": _MANIFEST_FORMAT,
            "version": 1,
            "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "concurrency": self.concurrency,
            "backend": self.backend,
            "quality": self.quality,
            "elapsed_s": self.elapsed_s,
            "variants": entries,
        }
        tmp = folder / f".{MANIFEST}.tmp"
        text = valid_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        self._changed(None)
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> PromptLab:
        """A lab saved with :meth:`save`: the same grid and table, nothing rendered again."""
        folder = Path(folder).expanduser()
        path = folder / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(
                f"There is no saved Prompt Lab at {folder} ({MANIFEST} is missing)."
            ) from None
        except ValueError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != _MANIFEST_FORMAT:
            raise ValueError(f"{path} is not a Prompt Lab manifest.")
        lab = cls.__new__(cls)
        variants = [Variant.from_manifest(e, folder) for e in manifest.get("variants", [])]
        lab._setup(
            variants,
            concurrency=int(manifest.get("concurrency") or DEFAULT_CONCURRENCY),
            backend=str(manifest.get("backend") or "auto"),
            quality=manifest.get("quality")
            if manifest.get("quality") in RENDER_QUALITIES
            else None,
        )
        lab.elapsed_s = manifest.get("elapsed_s")
        return lab


def _measured(path: Path, variant: Variant) -> MotionScores | None:
    """The clip's motion scores (blocking); ``None``, logged, when they cannot be measured: a
    variant is done without them."""
    try:
        return score_render(path, variant.draft, variant.images)
    except Exception as exc:
        log.warning("prompt lab variant %d: no motion scores (%s)", variant.index, exc)
        return None


def _label(variant: Variant) -> str:
    """What a card's clip is, in its caption."""
    return "preview" if variant.quality == PREVIEW else "full quality"


def _keep(source: Path, folder: Path, stem: str) -> Path:
    """``source`` copied into ``folder`` as ``stem.mp4`` (or ``stem-2.mp4``, … when taken); a file
    saved there before stays as it is."""
    if source.resolve().parent == folder.resolve():
        return source
    target = unique_path(folder, stem)
    shutil.copy2(source, target)
    return target


def _exportable(variant: Variant) -> bool:
    """Whether a card offers "Export full quality": a preview not exported yet."""
    return variant.status == "done" and variant.quality == PREVIEW and not variant.export_path


def _image_sets(images: Any) -> list[tuple[str, ...]]:
    items = [images] if isinstance(images, (str, os.PathLike)) else list(images)
    sets: list[tuple[str, ...]] = []
    for item in items:
        group = [item] if isinstance(item, (str, os.PathLike)) else list(item)
        if not group:
            raise ValueError("An inner list of images is empty; give it at least one photo.")
        for image in group:
            text = os.fspath(image)
            if not is_url(text) and not Path(text).expanduser().is_file():
                raise FileNotFoundError(f"There is no image at {text}.")
        sets.append(
            tuple(
                os.fspath(p) if is_url(os.fspath(p)) else str(Path(p).expanduser()) for p in group
            )
        )
    if not sets:
        raise ValueError("Give the lab at least one image.")
    return sets


def _skill_names(skills: Any) -> list[str]:
    if skills is None:
        return [get_skill(None).name]
    items = [skills] if isinstance(skills, (str, Skill)) else list(skills)
    names = list(dict.fromkeys(get_skill(s).name for s in items))
    if not names:
        raise ValueError("skills is empty; leave it out for the default skill.")
    return names


def _texts(value: str | Sequence[str], what: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value)
    texts = tuple(str(t).strip() for t in items)
    if any(not t for t in texts):
        raise ValueError(f"A {what} is empty; every {what} needs some words.")
    if not texts and not allow_empty:
        raise ValueError(f"Give the lab at least one {what}.")
    return texts
