"""The static view of a Studio for places where widgets do not run (GitHub, nbviewer, a saved
notebook opened without a kernel): the last reply, the timeline table and the export's filmstrip.

Kept small (the filmstrip is ~50 KB) so saved notebooks stay light; it holds only what the panel
shows, never a token or a media URL.
"""

from __future__ import annotations

import html

from nemo_nb.widgets._timeline_tab import timeline_table_html

__all__ = ["snapshot_html"]


def snapshot_html(
    *,
    backend: str,
    last_reply: str | None,
    draft: object | None,
    poster_html: str | None,
    export_name: str | None,
) -> str:
    """The snapshot as one self-contained HTML block. ``poster_html``: the last export's
    filmstrip (``VideoPreview.poster_html()``)."""
    parts = [
        '<div class="nemo-nb-snapshot" style="border:1px solid #ddd;padding:8px;max-width:900px">',
        f"<div><b>nemo-nb Studio</b> <span style='color:#777'>· {html.escape(backend)} · "
        "static snapshot (run the cell to use the panel)</span></div>",
    ]
    if last_reply:
        parts.append(
            f"<p style='white-space:pre-wrap'><b>Agent</b>&nbsp; {html.escape(last_reply)}</p>"
        )
    parts.append(f"<div>{timeline_table_html(draft)}</div>")  # type: ignore[arg-type]
    if poster_html:
        caption = html.escape(export_name or "")
        parts.append(
            f"<figure style='margin:8px 0 0'>{poster_html}"
            f"<figcaption style='font-size:11px;color:#555'>Exported: {caption}</figcaption></figure>"
        )
    parts.append("</div>")
    return "".join(parts)
