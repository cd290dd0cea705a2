"""Which language a prompt is in, so replies and change summaries can answer in it.

One rule for the engine's agent and the client's change summaries: a prompt is Chinese ("zh")
when, quoted text aside, it has at least as many Chinese characters as Latin words; otherwise
English ("en"). Linear in the text (bounded quotes, no nested repetition).
"""

from __future__ import annotations

import re

__all__ = ["prompt_language"]

_QUOTED = re.compile(r"\"[^\"\n]{0,200}\"|“[^”\n]{0,200}”|「[^」\n]{0,200}」|『[^』\n]{0,200}』")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def prompt_language(text: str) -> str:
    """``"zh"`` or ``"en"``.

    >>> prompt_language("让这张照片抖动起来"), prompt_language('add the title "你好"')
    ('zh', 'en')
    """
    unquoted = _QUOTED.sub(" ", text or "")
    cjk = len(_CJK.findall(unquoted))
    return "zh" if cjk and cjk >= len(_LATIN_WORD.findall(unquoted)) else "en"
