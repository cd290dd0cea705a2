"""Change summaries in the language of the prompt (issue 21): a Chinese prompt, Chinese sentences."""

from __future__ import annotations

import re
import string

import pytest

from nemo_nb._language import prompt_language
from nemo_nb.engine._agent_types import MediaRef
from nemo_nb.engine.agent import interpret
from nemo_nb.timeline import diff
from nemo_nb.timeline._diff import _SAY

PHOTO = [MediaRef("m1", "http://127.0.0.1:9/media/m1/portrait.jpg", "portrait.jpg", "image")]
JIGGLE = "make this photo jiggle and bounce like a looping animated video"
CJK = re.compile("[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "prompt, zh_words, en_words",
    [
        ("轻微一点", ["动效强度", "50% → 42%"], ["Effect strength", "50% → 42%"]),
        ("横屏", ["画面比例 9:16 → 16:9"], ["Aspect 9:16 → 16:9"]),
        ("十五秒", ["时长 6 秒 → 15 秒"], ["Duration 6s → 15s"]),
        ("更快", ["动效速度", "1× → 1.25×"], ["Effect speed"]),
        ("加标题「你好」", ["已添加标题「你好」"], ["Added the title '你好'"]),
        ("加背景音乐", ["已添加音乐 Lo-fi"], ["Added music Lo-fi"]),
    ],
)
def test_a_chinese_prompt_gets_a_chinese_summary(prompt: str, zh_words: list[str],
                                                 en_words: list[str]) -> None:  # fmt: skip
    before = interpret(JIGGLE, None, PHOTO).draft
    after = interpret(prompt, before, PHOTO).draft
    assert prompt_language(prompt) == "zh"
    zh, en = diff(before, after, lang="zh"), diff(before, after)
    assert zh and len(zh) == len(en)
    for word in zh_words:
        assert any(word in line for line in zh), (word, zh)
    for word in en_words:
        assert any(word in line for line in en), (word, en)
    for line in zh:  # every sentence reads as Chinese (names and numbers aside)
        assert CJK.search(line), line
    assert not any(CJK.search(line) and "Effect" in line for line in zh)


def test_every_sentence_has_both_languages_with_the_same_blanks() -> None:
    def blanks(template: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}

    english_only = {"Noun", "Name", "a_effect"}  # capitalised or with an article: English only
    for key, (en, zh) in _SAY.items():
        assert zh and en, key
        assert blanks(zh) - english_only <= blanks(en) | {"noun", "name", "effect"}, key
        assert blanks(en) - english_only <= blanks(zh) | english_only, key


def test_the_language_of_a_prompt() -> None:
    assert prompt_language("make it jiggle") == "en"
    assert prompt_language("让这张照片抖动起来") == "zh"
    assert prompt_language('add the title "你好"') == "en"  # quoted text does not count
    assert prompt_language("加上标题 Summer Vibes") == "zh"
    assert prompt_language("") == "en"
