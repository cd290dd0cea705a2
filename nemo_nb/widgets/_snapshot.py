"""The static view of a Studio for places where widgets do not run (GitHub, nbviewer, a saved
notebook opened without a kernel): the last reply, the timeline table and the export's filmstrip.

Kept small (the filmstrip is ~50 KB) so saved notebooks stay light; it holds only what the panel
shows, never a token or a media URL.
"""

from __future__ import annotations

import base64

from nemo_nb._html import escape
from nemo_nb._theme import BORDER, MUTED, TEXT
from nemo_nb.widgets._timeline_tab import timeline_table_html

__all__ = ["snapshot_html"]


def snapshot_html(
    *,
    backend: str,
    last_reply: str | None,
    draft: object | None,
    filmstrip: bytes | None,
    export_name: str | None,
) -> str:
    """The snapshot as one self-contained HTML block. ``filmstrip``: the last export's frames as
    PNG (``VideoPreview.poster`` from ``nemo_nb.display.show_video``)."""
    parts = [
        f'<div class="nemo-nb-snapshot" style="border:1px solid {BORDER};padding:8px;'
        f'max-width:900px;color:{TEXT}">',
        f"<div><b>nemo-nb Studio</b> <span style='color:{MUTED}'>· {escape(backend)} · "
        "static snapshot (run the cell to use the panel)</span></div>",
    ]
    if last_reply:
        parts.append(f"<p style='white-space:pre-wrap'><b>Agent</b>&nbsp; {escape(last_reply)}</p>")
    parts.append(f"<div>{timeline_table_html(draft)}</div>")  # type: ignore[arg-type]
    if filmstrip:
        caption = escape(export_name)
        data = base64.b64encode(filmstrip).decode("ascii")
        parts.append(
            f"<figure style='margin:8px 0 0'><img class='nemo-filmstrip' "
            f"alt='Frames of {caption}' style='width:560px;max-width:100%;height:auto' "
            f"src='data:image/png;base64,{data}'/>"
            f"<figcaption style='font-size:11px;color:{MUTED}'>Exported: {caption}</figcaption></figure>"
        )
    parts.append("</div>")
    return "".join(parts)
