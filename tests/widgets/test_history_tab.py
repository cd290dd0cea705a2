"""The History tab's table: file names only, wrapped text, errors visible, server text escaped."""

from __future__ import annotations

from nemo_nb.conversation._history import HistoryTurn as Turn
from nemo_nb.conversation._history import history_frame
from nemo_nb.widgets._history_tab import EMPTY_HISTORY, history_table_html, names_only

UPLOADED = "/root/.local/share/nemo-nb/uploads/20250101-120000-123456/grace_hopper.jpg"


def turn(prompt: str, **kw) -> Turn:
    return Turn(
        session_id="s1", prompt=prompt, action="agent", started_at="2025-01-01T00:00:00Z", **kw
    )


def test_paths_and_addresses_shrink_to_their_file_names() -> None:
    assert names_only(f"upload {UPLOADED}") == "upload grace_hopper.jpg"
    assert names_only(r"upload C:\Users\me\AppData\nemo\uploads\x\cat.png") == "upload cat.png"
    assert names_only("add https://cdn.example/a/b/dog.jpg?sig=SECRET#x") == "add dog.jpg"
    # words with one slash, fractions and times stay as written
    assert (
        names_only("jiggle/bounce at 1/2 speed, 0.0–6.0 s")
        == "jiggle/bounce at 1/2 speed, 0.0–6.0 s"
    )


def test_one_compact_row_per_turn_with_the_error_on_view() -> None:
    frame = history_frame(
        [
            turn(f"upload {UPLOADED}", reply="Uploaded 1 file: grace_hopper.jpg", duration_s=0.42),
            turn(
                "make it <b>jiggle</b>",
                reply="Done! " + "a very long reply " * 40,
                changes=["Effect on grace_hopper.jpg: none → jiggle"],
                duration_s=2.0,
            ),
            turn("export", errors=["The engine could not render: disk full."]),
            turn("export()", render_path="/home/me/work/nemo-exports/grace_hopper-jiggle.mp4"),
        ]
    )
    out = history_table_html(frame)
    assert out.count("<tr>") == 5  # one header row, four turns
    assert "Exported grace_hopper-jiggle.mp4" in out and "/home/me" not in out
    assert "<th" in out and out.count("<thead>") == 1
    assert "uploads/" not in out and "upload grace_hopper.jpg" in out
    assert "make it &lt;b&gt;jiggle&lt;/b&gt;" in out  # escaped, not markup
    assert "Changed: Effect on grace_hopper.jpg: none → jiggle" in out
    assert "nemo-nb-history-error" in out and "✗ The engine could not render: disk full." in out
    assert "0.4 s" in out and "2.0 s" in out
    # long replies are cut in the table (the frame keeps all of it) and every cell wraps
    assert "…" in out and len(out) < 5000
    assert "table-layout:fixed" in out and "overflow-wrap:anywhere" in out
    assert "var(--jp-" in out


def test_no_turns_yet() -> None:
    assert EMPTY_HISTORY in history_table_html(history_frame([]))
