"""The panels' colours, as CSS values that follow the notebook's theme.

Every colour nemo-nb puts in HTML comes from here: JupyterLab's theme variables (JupyterLab 4 and
Notebook 7 share them; the Dark theme redefines them), then VS Code's, then a light-theme literal
for viewers with neither (GitHub, nbviewer). Text sits only on backgrounds from the same theme, so
it stays readable in light and dark alike:

- ``TEXT`` on any of the backgrounds; ``MUTED`` only on ``PAGE`` (in both themes it falls below
  a 4.5:1 contrast on ``RAISED``).
- State (warning, error, success) is a coloured left edge, never coloured text or a tinted
  fill: JupyterLab's pale ``--jp-*-color3`` fills stay pale in the Dark theme, under white text.
"""

from __future__ import annotations

__all__ = [
    "BORDER",
    "BRAND",
    "ERROR",
    "LINK",
    "MUTED",
    "PAGE",
    "RAISED",
    "SUCCESS",
    "TEXT",
    "WARN",
    "themed",
]


def themed(jupyter: str, vscode: str, fallback: str) -> str:
    """A CSS value: JupyterLab's ``--jp-<jupyter>``, else VS Code's ``--vscode-<vscode>``, else
    ``fallback``."""
    return f"var(--jp-{jupyter}, var(--vscode-{vscode}, {fallback}))"


#: Main text.
TEXT = themed("ui-font-color1", "editor-foreground", "#1f2328")
#: Secondary text (labels, hints, status): on ``PAGE`` only.
MUTED = themed("ui-font-color2", "descriptionForeground", "#57606a")
#: The notebook's own background, for a panel that must not be transparent.
PAGE = themed("layout-color1", "editor-background", "#ffffff")
#: A raised block (the user's message, a notice, an error): one step off the page.
RAISED = themed("layout-color2", "editorWidget-background", "#eef1f4")
#: Lines between things.
BORDER = themed("border-color2", "panel-border", "#d0d7de")
#: Accents that are not text (the user's message edge, focus).
BRAND = themed("brand-color1", "focusBorder", "#1976d2")
#: Links: JupyterLab's own link colour is readable on its page in both themes.
LINK = themed("content-link-color", "textLink-foreground", "#0d47a1")
#: Edges that mark state.
WARN = themed("warn-color1", "editorWarning-foreground", "#f57c00")
ERROR = themed("error-color1", "errorForeground", "#d32f2f")
SUCCESS = themed("success-color1", "testing-iconPassed", "#388e3c")
