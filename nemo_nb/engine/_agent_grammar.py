"""The engine's agent reads a message: tokens, the phrases of the vocabulary, unquoted texts, clauses.

Private helper of :mod:`nemo_nb.engine._agent_parse`. One matcher finds every phrase of
:data:`~nemo_nb.engine._agent_lexicon.LEXICON` (all languages at once, longest match first) in one
left-to-right pass; the words after "add the title" or "字幕写" up to where the request goes on
become a text, as if they had been quoted; then the message is cut into clauses at commas, "and",
"then", "然后", "，" so that each part of a request can be accounted for.

Everything here is linear in the length of the message: one tokenizing regex without nested
repetition, a phrase trie walked at most ``MAX_PHRASE`` tokens from each token, quote closers
looked for at most ``QUOTE_MAX`` characters ahead, unquoted texts at most ``TEXT_MAX_TOKENS`` long.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from nemo_nb._language import prompt_language
from nemo_nb.engine._agent_lexicon import LEXICON, STOPWORDS, words

__all__ = ["Clause", "Reading", "Sym", "Token", "read"]

QUOTE_MAX = 200  # longest quoted text, characters
TEXT_MAX_TOKENS = 16  # longest unquoted text (words; Chinese: characters count 1/2)
_CJK = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
#: Punctuation kept as tokens (clause ends, and what phrases use: "9:16", "20%", "b&w", "#2");
#: any other mark is dropped, so a page of stray quote marks costs nothing.
_PUNCT = ",;.!?、\n:%#&/+，。；！？：％"
_TOKEN_RE = re.compile(
    rf"(\d+(?:\.\d+)?)|([{_CJK}])|([^\W\d_{_CJK}]+(?:'[^\W\d_{_CJK}]+)*)|(\n)|([{_PUNCT}])"
)
#: Punctuation that always ends a clause (full-width forms are folded to these first).
_HARD_PUNCT = frozenset(",;.!?、\n")
_FOLD = str.maketrans("，。；！？：％’‘", ",.;!?:%''")
#: Quoted text, at most QUOTE_MAX characters on one line (bounded: linear on any input). A
#: single quote opens only at the start of a word and closes only at its end ("don't").
_QUOTED = re.compile(
    "|".join(
        f"{re.escape(o)}([^{re.escape(c)}\n]{{1,{QUOTE_MAX}}}){re.escape(c)}"
        for o, c in (
            ('"', '"'),
            ("“", "”"),
            ("「", "」"),
            ("『", "』"),
            ("‘", "’"),
            ("«", "»"),
            ("《", "》"),
        )
    )
    + f"|(?<![^\\W_])'([^'\n]{{1,{QUOTE_MAX}}}?)'(?![^\\W_])"
)

_NUM_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
_CN_NUMERALS = frozenset("零一二两三四五六七八九十百")
#: A Chinese numeral is a number only next to one of these ("十五秒", "第二张", "百分之二十").
_CN_UNITS = frozenset("秒次遍分张个倍段幅小帧毫%")


class Token(NamedTuple):
    kind: str  # "word" | "num" | "cjk" | "quote" | "punct"
    key: str  # what the vocabulary matches: lower-cased word, digits, character, folded punct
    start: int  # span in the message
    end: int
    text: str  # as typed (a quote: its content)
    num: float | None = None


class Sym:
    """A phrase found in the message: its meanings ``(category, value)`` and its token span."""

    __slots__ = ("meanings", "i", "j", "text", "nums", "cats", "first")

    def __init__(
        self,
        meanings: list[tuple[str, Any]],
        i: int,
        j: int,  # exclusive
        text: str,  # as typed
        nums: list[float] | None = None,  # the numbers matched by "#"
    ) -> None:
        self.meanings = meanings
        self.i, self.j, self.text = i, j, text
        self.nums = nums or []
        self.cats = frozenset(c for c, _ in meanings)
        self.first = dict(reversed(meanings))  # category -> its first value

    def has(self, cat: str) -> bool:
        return cat in self.cats

    def value(self, cat: str) -> Any:
        return self.first[cat]

    def __repr__(self) -> str:
        return f"Sym({self.text!r}, {self.meanings})"


@dataclass
class Clause:
    """One part of a request: its phrases, and the words the vocabulary does not know."""

    syms: list[Sym]
    text: str  # as typed
    unknown: list[str]  # content words no phrase covers
    tokens: list[Token]
    first: int  # index of its first token in the message
    joined: str = "hard"  # how it follows the clause before: "soft" after "and", "with"

    def at(self, s: Sym) -> int:
        """Index of the first token of ``s`` in :attr:`tokens`."""
        return s.i - self.first


@dataclass
class Reading:
    lang: str  # "en" | "zh"
    clauses: list[Clause]
    syms: list[Sym]  # all of them, in order (separators too)
    tokens: list[Token]


# --- the vocabulary as a trie ------------------------------------------------------------------

_GROUP = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def _expand(pattern: str) -> Iterator[str]:
    """``"(a|b) [c] d"`` -> ``"a  d"``, ``"a c d"``, ``"b  d"``, ``"b c d"``."""
    m = _GROUP.search(pattern)
    if m is None:
        yield pattern
        return
    choices = (m.group(1) if m.group(1) is not None else m.group(2)).split("|")
    if m.group(2) is not None:
        choices.append("")
    for choice in choices:
        yield from _expand(pattern[: m.start()] + choice + pattern[m.end() :])


_Trie = dict[str, Any]
_MEANINGS = ""  # the key under which a trie node keeps the meanings of the phrase ending there


def _build_trie() -> tuple[_Trie, int]:
    root: _Trie = {}
    longest = 1
    for vocabulary in LEXICON.values():
        for cat, entries in vocabulary.items():
            for patterns, value in entries.items():
                for alternative in patterns.split(", "):
                    for phrase in _expand(alternative):
                        keys = [t.key for t in _tokens(phrase) if t.kind != "quote"]
                        if not keys:
                            continue
                        node = root
                        for key in keys:
                            node = node.setdefault(key, {})
                        meanings = node.setdefault(_MEANINGS, [])
                        if (cat, value) not in meanings:
                            meanings.append((cat, value))
                        longest = max(longest, len(keys))
    return root, longest


# --- tokens ------------------------------------------------------------------------------------


def _quotes(text: str) -> list[tuple[int, int, str]]:
    """Quoted spans ``(start, end, content)``."""
    out = []
    for m in _QUOTED.finditer(text):
        content = next(g for g in m.groups() if g is not None).strip()
        if content:
            out.append((m.start(), m.end(), content))
    return out


def _tokens(text: str, quotes: list[tuple[int, int, str]] | None = None) -> list[Token]:
    out: list[Token] = []
    at = 0
    for qs, qe, content in [*(quotes or []), (len(text), len(text), "")]:
        for m in _TOKEN_RE.finditer(text, at, qs):
            group, got = m.lastindex, m.group()
            s, e = m.start(), m.end()
            if group == 3:
                key = got.lower()
                out.append(Token("word", key, s, e, got, _NUM_WORDS.get(key)))
            elif group == 2:
                out.append(Token("cjk", got, s, e, got))
            elif group == 1:
                out.append(Token("num", got, s, e, got, float(got)))
            else:
                out.append(Token("punct", got.translate(_FOLD), s, e, got))
        if qs < qe:
            out.append(Token("quote", '"', qs, qe, content))
        at = qe
    return _numbers(out)


def _cn_number(s: str) -> int:
    """Chinese numeral up to 999 ("十五" -> 15, "二十" -> 20, "两百" -> 200)."""
    total, digit = 0, 0
    for ch in s:
        if ch == "百":
            total += (digit or 1) * 100
            digit = 0
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _CN_DIGITS.get(ch, 0)
    return total + digit


def _numbers(tokens: list[Token]) -> list[Token]:
    """Merge "twenty five" into 25 and "十五" (before a unit) into 15."""
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind == "cjk" and t.key in _CN_NUMERALS:
            j = i
            while j < n and tokens[j].kind == "cjk" and tokens[j].key in _CN_NUMERALS:
                j += 1
            after = tokens[j].key if j < n else ""
            before = tokens[i - 1].key if i else ""
            percent = after == "分" and j + 1 < n and tokens[j + 1].key == "之"  # 百分之二十
            if (after in _CN_UNITS or before in ("第", "之")) and not percent:
                run = "".join(x.key for x in tokens[i:j])
                value = float(_cn_number(run))
                out.append(Token("num", run, t.start, tokens[j - 1].end, run, value))
            else:
                out += tokens[i:j]  # "一点": not a number; the run is looked at once
            i = j
            continue
        if (
            t.kind == "word"
            and t.num is not None
            and 20 <= t.num < 100
            and i + 1 < n
            and tokens[i + 1].kind == "word"
            and tokens[i + 1].num is not None
            and tokens[i + 1].num < 10  # type: ignore[operator]
        ):  # "twenty five"
            nxt = tokens[i + 1]
            value = t.num + (nxt.num or 0)
            out.append(Token("word", f"{t.key} {nxt.key}", t.start, nxt.end, "", value))
            i += 2
            continue
        out.append(t)
        i += 1
    return out


# --- the matcher -------------------------------------------------------------------------------


def _longest(
    tokens: list[Token], i: int, node: _Trie, depth: int
) -> tuple[int, list[tuple[str, Any]], list[float]] | None:
    """The longest phrase starting at token ``i`` below ``node``: (end, meanings, numbers)."""
    best: tuple[int, list[tuple[str, Any]], list[float]] | None = None
    if _MEANINGS in node:
        best = (i, node[_MEANINGS], [])
    if i >= len(tokens) or depth >= _LONGEST:
        return best
    t = tokens[i]
    for key, is_number in ((t.key, False), ("#", True)):
        if is_number and t.num is None:
            continue
        child = node.get(key)
        if child is None:
            continue
        found = _longest(tokens, i + 1, child, depth + 1)
        if found is not None and (best is None or found[0] > best[0]):
            nums = [t.num, *found[2]] if is_number and t.num is not None else found[2]
            best = (found[0], found[1], nums)
    return best


def _match(text: str, tokens: list[Token]) -> list[Sym]:
    syms: list[Sym] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.kind == "quote":
            syms.append(Sym([("quote", None)], i, i + 1, t.text))
            i += 1
            continue
        if t.kind == "punct" and t.key in _HARD_PUNCT:
            syms.append(Sym([("sep", "hard")], i, i + 1, t.text))
            i += 1
            continue
        if t.key not in _TRIE and (t.num is None or "#" not in _TRIE):
            i += 1
            continue
        found = _longest(tokens, i, _TRIE, 0)
        if found is None or found[0] == i:
            i += 1
            continue
        end, meanings, nums = found
        syms.append(Sym(list(meanings), i, end, text[t.start : tokens[end - 1].end], nums))
        i = end
    return syms


# --- unquoted texts ------------------------------------------------------------------------------

#: A weak introduction ("write", "put") only starts a text when none of these follows it: "put
#: some music on it" asks for music, "write Happy Birthday on it" for a text.
_BLOCKING = words(
    "effect music transition tr_type aspect platform duration loops speed strength export "
    "create src out remove volume fade undo help intro percent fit unsupported song title text "
    "upload_music"
)
_STOPS = frozenset(("pos", "stop", "quote"))


def _content(s: Sym) -> bool:
    """Whether a phrase asks for something (not a separator, filler or a determiner)."""
    return any(
        c not in ("sep", "stop", "mag", "count", "new", "clip", "filler") for c, _ in s.meanings
    )


def _captures(text: str, tokens: list[Token], syms: list[Sym]) -> list[Sym]:
    """Unquoted texts become quotes: "add the title Summer Vibes and make it square"."""
    by_start = {s.i: k for k, s in enumerate(syms)}
    out: list[Sym] = []
    skip_to = -1
    seen_intro = False
    k = 0
    while k < len(syms):
        s = syms[k]
        k += 1
        if s.i < skip_to:
            continue
        out.append(s)
        if s.has("as_text"):
            _capture_before(text, tokens, out, s)
            continue
        if s.has("intro"):
            seen_intro = True
            kind, _change = s.value("intro")
        elif seen_intro and _noun_after_and(tokens, syms, by_start, s):
            kind = "title" if s.has("title") else "text"  # "… and the caption Day 2"
        else:
            continue
        j = s.j
        while j < len(tokens) and tokens[j].key == ":":
            j += 1
        if j >= len(tokens) or tokens[j].kind == "quote":
            continue
        end = _text_end(tokens, syms, by_start, j)
        if end is None:
            s.meanings = [("intro_long", kind)]  # too long to be sure where it ends
            s.cats, s.first = frozenset(("intro_long",)), {"intro_long": kind}
            continue
        if end <= j:
            continue
        inside = [syms[by_start[x]] for x in range(j, end) if x in by_start]
        if (kind is None or not s.has("intro")) and (
            any(c in _BLOCKING for x in inside for c, _ in x.meanings)
            or all(t.key in STOPWORDS["en"] for t in tokens[j:end])
        ):
            continue  # "put some music on it", "put it at the top": not a text
        captured = text[tokens[j].start : tokens[end - 1].end].strip(" \t:,;")
        if not captured:
            continue
        out.append(Sym([("quote", kind)], j, end, captured))
        skip_to = end
    return out


def _text_end(tokens: list[Token], syms: list[Sym], by_start: dict[int, int], j: int) -> int | None:
    """Where an unquoted text starting at token ``j`` ends (exclusive), ``None`` if too long."""
    size = 0.0
    k = j
    n = len(tokens)
    while k < n:
        t = tokens[k]
        if t.kind == "quote" or (t.kind == "punct" and t.key in ",;.\n、"):
            return k
        if t.kind == "punct" and t.key in "!?":
            return k + 1 if k > j else k
        s = syms[by_start[k]] if k in by_start else None
        if s is not None and any(c in _STOPS for c, _ in s.meanings):
            return k  # "… at the top", "… on it"
        ends = s is not None and k > j and s.has("sep")
        if ends and (s.value("sep") == "hard" or _goes_on(syms, by_start[k])):  # type: ignore[union-attr]
            return k  # ", then …", "and make it square"
        colour = by_start.get(k + 1)
        if t.key == "in" and colour is not None and syms[colour].has("color"):
            return k  # "… in red"
        size += 0.5 if t.kind == "cjk" else 1
        if size > TEXT_MAX_TOKENS:
            return None
        k += 1
    return k


def _noun_after_and(tokens: list[Token], syms: list[Sym], by_start: dict[int, int], s: Sym) -> bool:
    """ "and the caption …", "and a title …": a text noun right after a soft separator."""
    if not (s.has("title") or s.has("text")) or s.i < 2:
        return False
    before = by_start.get(s.i - 2)
    det = tokens[s.i - 1].key in ("a", "an", "the")
    return (
        det
        and before is not None
        and syms[before].has("sep")
        and syms[before].value("sep") == "soft"
    )


def _goes_on(syms: list[Sym], at: int) -> bool:
    """Whether the request goes on after the soft separator ``syms[at]`` ("and make it square"),
    rather than the text ("Salt and Pepper"): the next clause asks for something."""
    for s in syms[at + 1 :]:
        if s.has("sep"):
            return False  # "Salt and Pepper and make it bounce": only up to the next "and"
        if _content(s) and not s.has("quote"):
            return True
    return False


def _capture_before(text: str, tokens: list[Token], out: list[Sym], s: Sym) -> None:
    """ "add a download button as text overlay": the words between the verb and "as"."""
    verbs = {"add", "put", "use", "include", "insert", "show", "place", "加", "添加", "加上"}
    lo = max(0, s.i - TEXT_MAX_TOKENS)
    verb = next((k for k in range(s.i - 1, lo - 1, -1) if tokens[k].key in verbs), None)
    if verb is None:
        return
    j = verb + 1
    while j < s.i and tokens[j].key in ("a", "an", "the", "some", "my", "this"):
        j += 1
    if j >= s.i:
        return
    out.pop()  # s itself, put back after the text
    while out and out[-1].i >= j:
        out.pop()
    captured = text[tokens[j].start : tokens[s.i - 1].end].strip()
    out += [Sym([("quote", s.value("as_text"))], j, s.i, captured), s]


# --- clauses -----------------------------------------------------------------------------------


def _clauses(text: str, tokens: list[Token], syms: list[Sym]) -> list[Clause]:
    covered = [False] * len(tokens)
    for s in syms:
        for k in range(s.i, s.j):
            covered[k] = True
    clauses: list[Clause] = []
    start, current, joined = 0, [], "hard"  # where the clause starts; its phrases; how
    ended = [*syms, Sym([("sep", "hard")], len(tokens), len(tokens), "")]
    for k, s in enumerate(ended):
        if not s.has("sep"):
            current.append(s)
            continue
        if (
            s.value("sep") == "soft"
            and current
            and current[-1].has("ordinal")
            and ended[k + 1].has("ordinal")
        ):  # "the first and last photos": one clause
            continue
        if start < s.i:
            part = tokens[start : s.i]
            unknown = [
                t.key
                for k, t in enumerate(part, start)
                if not covered[k] and t.kind in ("word", "cjk")
                and t.key not in STOPWORDS["en"] and t.key not in STOPWORDS["zh"]
            ]  # fmt: skip
            said = text[part[0].start : part[-1].end]
            clauses.append(Clause(current, said, unknown, part, start, joined))
        start, current, joined = s.j, [], s.value("sep")
    return clauses


def _language(text: str, tokens: list[Token], syms: list[Sym]) -> str:
    """The language of the request itself: quoted and unquoted texts do not count."""
    inside = [False] * len(tokens)
    for s in syms:
        if s.has("quote"):
            for k in range(s.i, s.j):
                inside[k] = True
    outside = " ".join(t.text for k, t in enumerate(tokens) if not inside[k] and t.kind != "quote")
    return prompt_language(outside)


def read(message: str) -> Reading:
    """Tokens, phrases and clauses of one message. Pure; linear in its length."""
    quotes = _quotes(message)
    tokens = _tokens(message, quotes)
    syms = _captures(message, tokens, _match(message, tokens))
    syms.sort(key=lambda s: s.i)
    return Reading(_language(message, tokens, syms), _clauses(message, tokens, syms), syms, tokens)


_TRIE, _LONGEST = _build_trie()
