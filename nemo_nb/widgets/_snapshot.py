"""The static view of a Studio for places where widgets do not run (GitHub, nbviewer, a saved
notebook opened without a kernel): the last reply, the timeline table and a poster frame.

Kept small (a ~20 KB poster at most) so saved notebooks stay light; it holds only what the panel
shows, never a token or a media URL.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from nemo_nb.widgets._timeline_tab import timeline_table_html

__all__ = ["poster_jpeg", "snapshot_html"]

POSTER_WIDTH = 200


def poster_jpeg(video: Path, width: int = POSTER_WIDTH) -> bytes | None:
    """A small JPEG of the video's middle frame (``None`` if it cannot be read)."""
    try:
        import av

        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            frames = stream.frames or 0
            target = frames // 2
            image = None
            for i, frame in enumerate(container.decode(stream)):
                image = frame.to_image()
                if i >= target:
                    break
    except Exception:
        return None
    if image is None:
        return None
    image.thumbnail((width, width * 2))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=70)
    return out.getvalue()


def snapshot_html(
    *,
    backend: str,
    last_reply: str | None,
    draft: object | None,
    poster: bytes | None,
    export_name: str | None,
) -> str:
    """The snapshot as one self-contained HTML block."""
    parts = [
        '<div class="nemo-nb-snapshot" style="border:1px solid #ddd;padding:8px;max-width:900px">',
        f"<div><b>nemo-nb Studio</b> <span style='color:#777'>· {html.escape(backend)} · "
        "static snapshot (run the cell to use the panel)</span></div>",
    ]
    if last_reply:
        parts.append(
            f"<p style='white-space:pre-wrap'><b>Agent</b>&nbsp; {html.escape(last_reply)}</p>"
        )
    parts.append('<div style="display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap">')
    parts.append(f"<div>{timeline_table_html(draft)}</div>")  # type: ignore[arg-type]
    if poster is not None:
        data = base64.b64encode(poster).decode("ascii")
        caption = html.escape(export_name or "")
        parts.append(
            f'<figure style="margin:0"><img src="data:image/jpeg;base64,{data}" '
            f'width="{POSTER_WIDTH // 2}" alt="poster frame of {caption}"/>'
            f"<figcaption style='font-size:11px;color:#555'>{caption}</figcaption></figure>"
        )
    parts.append("</div></div>")
    return "".join(parts)
