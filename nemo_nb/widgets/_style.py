"""The panel's stylesheet, added once with the panel (an HTML widget holding a ``<style>``).

Only what inline styles cannot do: hide the static snapshot while the live panel runs, drop the
file count ipywidgets' FileUpload appends to its caption, give the Gantt chart (dark on white,
whatever the theme) a light card of its own, and draw the tabs' titles in the main text colour
(ipywidgets draws an inactive title in the secondary one on a raised fill: 4.2:1 in the Dark
theme).
"""

from __future__ import annotations

from nemo_nb._theme import TEXT

__all__ = ["PANEL_CSS"]

PANEL_CSS = (
    "<style>"
    # the snapshot is for viewers without widgets; the running panel stands in its place
    ".nemo-nb-snapshot{display:none !important}"
    ".jp-OutputArea-child:has(.nemo-nb-snapshot){display:none}"
    # FileUpload writes "Upload (0)" as one text node: hide it, write the caption again
    ".nemo-nb-upload.widget-upload{font-size:0 !important}"
    ".nemo-nb-upload.widget-upload>i{font-size:var(--jp-widgets-font-size,13px)}"
    ".nemo-nb-upload.widget-upload::after{content:'Upload';"
    "font-size:var(--jp-widgets-font-size,13px)}"
    # the chart is drawn dark on white: a card of its own, so it reads in a dark theme too
    "img.nemo-nb-gantt{background:#fff;border-radius:6px;padding:6px;box-sizing:border-box}"
    ".nemo-nb-studio .jupyter-widgets.jupyter-widget-tab>.lm-TabBar .lm-TabBar-tab"
    f"{{color:{TEXT}}}"
    "</style>"
)
