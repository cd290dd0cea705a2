"""The Studio as people meet it, in Debian's Chromium: readable in the Dark theme (JupyterLab 4 and
Notebook 7), its export downloadable, on a Binder-like server.

The server is laid out as repo2docker lays out a Binder: the repository is the server's root, the
notebook sits in ``notebooks/``, and the server answers under a base URL (``/user/nemo/``).

Contrast: every visible text element in the panel, on each tab, measured in the page from its
computed colour over its effective background (the first opaque background walking up, with the
translucent ones on the way composited; translucent text and ancestors' opacity blended too),
must reach 4.5:1 (WCAG AA). Disabled controls are exempt (WCAG 1.4.3) and left out. The ratios are
printed per element class; screenshots go to test-artifacts/e2e/theme-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jupyter_harness import CHROMIUM, CHROMIUM_ARGS, KERNEL_READY, jupyter_server, write_notebook

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.slow

BASE_URL = "/user/nemo/"  # as Binder serves each visitor
MIN_CONTRAST = 4.5

CELLS = [
    "import nemo_nb\n\nstudio = nemo_nb.Studio()\nstudio",
    # an error entry too, so its colours are measured: an address this machine cannot reach
    "await studio.upload(nemo_nb.sample_photo())\n"
    "await studio.upload('https://no-such-host.invalid/cat.jpg')\n"
    "await studio.send('make this photo jiggle and bounce for 3 seconds')\n"
    "path = await studio.export()\n"
    "print('exported', path.stat().st_size, path.relative_to(path.cwd()).as_posix())",
    "await studio.send('make it subtler')  # the export is now older than the timeline",
]

# The contrast of every visible text element under ``root`` (see the module docstring).
CONTRAST = r"""(root) => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (fg, bg) => {
    const a = fg[3];
    return [0, 1, 2].map(i => fg[i] * a + bg[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];  // the canvas under everything
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const lum = (c) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const name = (el) => {
    const own = Array.from(el.classList).find(c => /^(nemo|widget|jupyter|lm-|jp-)/.test(c));
    const panel = el.closest('[class*="nemo-nb-"]');
    const where = panel ? Array.from(panel.classList).find(c => c.startsWith('nemo-nb-')) : '';
    return `${where} ${el.tagName.toLowerCase()}${own ? '.' + own : ''}`.trim();
  };
  const measure = (el, style, text) => {
    const bg = background(el);
    const fg = parse(style.color);
    fg[3] *= opacity(el);
    return {cls: name(el), text: text.slice(0, 50), ratio: ratio(over(fg, bg), bg),
            fg: style.color, bg: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`};
  };
  const out = [];
  for (const el of root.querySelectorAll('*')) {
    if (!el.getClientRects().length) continue;  // not rendered (another tab, display: none)
    if (el.closest(':disabled, [disabled]')) continue;  // inactive controls are exempt
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || opacity(el) === 0) continue;
    const text = Array.from(el.childNodes)
      .filter(n => n.nodeType === 3 && n.textContent.trim())
      .map(n => n.textContent.trim()).join(' ');
    if (text && parseFloat(style.fontSize) > 0) out.push(measure(el, style, text));
    const after = getComputedStyle(el, '::after');
    const content = after.content;
    if (content && content !== 'none' && content !== 'normal' && content.length > 2) {
      out.push(measure(el, after, content.replace(/^"|"$/g, '')));
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory):
    """(url, repository root) of a server laid out like a Binder."""
    root = tmp_path_factory.mktemp("repo")
    (root / "notebooks").mkdir()
    with jupyter_server(root, base_url=BASE_URL) as url:
        yield url, root


def _run_cell(page, index: int) -> None:
    page.evaluate(
        """i => { const nb = window.jupyterapp.shell.currentWidget.content;
                  nb.activeCellIndex = i; nb.deselectAll();
                  return window.jupyterapp.commands.execute('notebook:run-cell'); }""",
        index,
    )


def _idle(page, timeout: int = 300_000) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(KERNEL_READY, timeout=timeout)


def _open(page, url: str, app: str, name: str, dark: bool) -> None:
    path = f"lab/tree/notebooks/{name}?reset" if app == "lab" else f"notebooks/notebooks/{name}"
    page.goto(f"{url}/{path}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_function(KERNEL_READY, timeout=90_000)
    theme = "JupyterLab Dark" if dark else "JupyterLab Light"
    page.evaluate(
        "t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
    )
    light = "false" if dark else "true"
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30_000
    )


def _contrast(page, tab: str) -> list[dict]:
    page.click(f".nemo-nb-studio .lm-TabBar-tab:has-text('{tab}')")
    page.wait_for_timeout(400)
    return page.evaluate(CONTRAST, page.query_selector(".nemo-nb-studio"))


def _report(label: str, rows: list[dict]) -> list[dict]:
    """Print the lowest ratio per element class; return the rows under the minimum."""
    worst: dict[str, dict] = {}
    for row in rows:
        if row["cls"] not in worst or row["ratio"] < worst[row["cls"]]["ratio"]:
            worst[row["cls"]] = row
    print(f"\n{label}: {len(rows)} text elements, {len(worst)} classes (lowest ratio of each)")
    for cls, row in sorted(worst.items(), key=lambda kv: kv[1]["ratio"]):
        print(f"  {row['ratio']:5.2f}  {cls:58.58}  {row['fg']:>26} on {row['bg']:<18} "
              f"{row['text']!r:.40}")  # fmt: skip
    return [r for r in rows if r["ratio"] < MIN_CONTRAST]


def _studio_in(page, url: str, root: Path, app: str, dark: bool) -> dict:
    """Run the notebook, then measure every tab; returns what the test checks further."""
    theme = "dark" if dark else "light"
    name = f"studio-{app}-{theme}.ipynb"
    write_notebook(root / "notebooks" / name, CELLS)
    shots = ARTIFACTS / "e2e"
    shots.mkdir(parents=True, exist_ok=True)
    _open(page, url, app, name, dark)
    _run_cell(page, 0)
    page.wait_for_selector(".nemo-nb-studio", timeout=60_000)
    _idle(page)
    _run_cell(page, 1)
    page.wait_for_selector(".nemo-nb-studio a.nemo-nb-download", timeout=300_000)
    _idle(page)
    printed = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output").inner_text()
    size, rel = re.search(r"exported (\d+) (\S+)", printed).groups()
    _run_cell(page, 2)
    page.wait_for_selector(".nemo-nb-stale:has-text('The timeline changed')", timeout=120_000)
    _idle(page)
    low: list[dict] = []
    for tab in ("Timeline", "Export", "History"):
        rows = _contrast(page, tab)
        if tab == "Timeline":
            _assert_the_timeline_fits(page)
        assert len(rows) > 10, f"{tab}: the panel has text to measure"
        low += _report(f"{app} {theme}, {tab} tab", rows)
        page.query_selector(".nemo-nb-studio").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"theme-{app}-{theme}-{tab.lower()}.png"))
    return {"low": low, "size": int(size), "rel": rel}


def _assert_the_timeline_fits(page) -> None:
    """At 1400 px the Timeline tab needs no horizontal scrollbar and "0.0–3.0 s" stays on one
    line."""
    fits = page.evaluate(
        """() => {
        const table = document.querySelector('.nemo-nb-studio table.nemo-nb-timeline');
        const tab = table.closest('.widget-vbox');
        const cell = Array.from(table.querySelectorAll('td')).find(td => /–.* s$/.test(td.textContent));
        const range = document.createRange();
        range.selectNodeContents(cell);
        const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        return {scroll: tab.scrollWidth, width: tab.clientWidth, lines: lines.size,
                text: cell.textContent};
    }"""
    )
    assert fits["scroll"] <= fits["width"] + 1, fits
    assert fits["text"] == "0.0–3.0 s" and fits["lines"] == 1, fits


def _chromium(p):
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    return browser, context.new_page()


@pytest.mark.parametrize(("app", "dark"), [("lab", True), ("notebook", True), ("lab", False)])
def test_every_text_in_the_panel_is_readable(binder, app: str, dark: bool) -> None:
    from playwright.sync_api import sync_playwright

    url, root = binder
    with sync_playwright() as p:
        browser, page = _chromium(p)
        try:
            measured = _studio_in(page, url, root, app, dark)
        finally:
            browser.close()
    low = measured["low"]
    assert not low, "below 4.5:1: " + "; ".join(
        f"{r['cls']} {r['text']!r} {r['ratio']:.2f}" for r in low
    )


def test_the_download_link_gives_the_mp4_and_the_file_browser_lists_it(binder) -> None:
    """On the Binder-like server: the Export tab's link downloads the very file (its bytes), the
    video plays from the server, and the export folder shows in JupyterLab's file browser."""
    from playwright.sync_api import sync_playwright

    url, root = binder
    with sync_playwright() as p:
        browser, page = _chromium(p)
        try:
            write_notebook(root / "notebooks" / "download.ipynb", CELLS[:2])
            _open(page, url, "lab", "download.ipynb", dark=False)
            _run_cell(page, 0)
            page.wait_for_selector(".nemo-nb-studio", timeout=60_000)
            _idle(page)
            _run_cell(page, 1)
            link = page.wait_for_selector(".nemo-nb-studio a.nemo-nb-download", timeout=300_000)
            _idle(page)
            out = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output").inner_text()
            exported = root / "notebooks" / re.search(r"exported \d+ (\S+)", out)[1]
            href = link.get_attribute("href")
            # the notebook's output renderer made it the server's files route, under the base URL
            files = f"{url}/files/notebooks/nemo-exports/{exported.name}"
            assert href.startswith(files), href
            video = page.wait_for_selector(".nemo-nb-video video")
            page.wait_for_function(
                "v => v.readyState >= 2 && v.videoWidth > 0", arg=video, timeout=60_000
            )
            assert video.evaluate("v => v.src").startswith(files)
            shown = video.evaluate("v => [v.clientWidth, v.clientHeight, v.videoWidth]")
            with page.expect_download(timeout=60_000) as caught:
                link.click()
            download = caught.value
            saved = Path(download.path())
            assert download.suggested_filename == exported.name
            assert saved.stat().st_size == exported.stat().st_size
            assert saved.read_bytes() == exported.read_bytes()
            got = saved.stat().st_size  # (the browser's copy goes when the browser closes)
            # the file browser: the folder beside the notebook, the MP4 in it
            page.evaluate(
                "p => window.jupyterapp.commands.execute('filebrowser:go-to-path', {path: p})",
                "notebooks/nemo-exports",
            )
            item = page.wait_for_selector(
                f".jp-DirListing-itemText:has-text('{exported.name}')", timeout=30_000
            )
            assert item.is_visible()
            page.screenshot(path=str(ARTIFACTS / "e2e" / "download-file-browser.png"))
        finally:
            browser.close()
    print(f"downloaded {exported.name}: {got} bytes, the same as the file; shown at {shown}")
    assert shown[1] >= 300, "the full-quality video plays at a sensible size, not a thumbnail"
