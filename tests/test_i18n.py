import ast
import re
from pathlib import Path

import pytest

from cls_core.app import i18n


@pytest.mark.parametrize(
    "tag, lang",
    [
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-TW", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("zh-HK", "zh-HK"),
        ("zh-Hant-HK", "zh-HK"),
        ("zh-MO", "zh-HK"),
        ("en-US", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
        ("zh-TW,zh;q=0.9,en;q=0.8", "zh-TW"),
        ("en-GB,zh-CN;q=0.5", "en"),
    ],
)
def test_language_follows_the_first_preference(tag, lang):
    assert i18n.language_for(tag) == lang


def test_every_text_exists_in_both_languages_with_the_same_fields():
    for key, (english, simplified) in i18n.TEXTS.items():
        assert english and simplified, key
        fields = re.compile(r"{(\w+)")
        assert set(fields.findall(english)) == set(fields.findall(simplified)), key


def test_traditional_chinese_is_converted_with_opencc():
    assert i18n.text("tab_predict", "zh-TW") == "預測"
    assert i18n.text("error_not_utf8", "zh-TW") == "檔案不是 UTF-8 文本。"  # Taiwan phrasing (s2twp): 檔案
    assert i18n.text("error_not_utf8", "zh-HK") == "文件不是 UTF-8 文本。"
    assert i18n.text("cut_notice", "zh-HK", n=300, max=200) == "輸入有 300 個字符；只讀取了前 200 個。"


def test_bold_closes_before_chinese_text():
    """Markdown (CommonMark) does not close ** that follows punctuation and precedes a letter:
    "**注意：**模型" shows its asterisks. Closing marks go before the colon: "**注意**：模型"."""
    for key, strings in i18n.TEXTS.items():
        for value in strings:
            marks = [m.start() for m in re.finditer(r"\*\*", value)]
            for closing in marks[1::2]:
                before, after = value[closing - 1], value[closing + 2 : closing + 3]
                assert not (re.match(r"[^\w\s]", before) and re.match(r"\w", after)), (key, value)


def app_strings():
    """(calls, constants): the first argument of every text(...), page(...) and UserError(...)
    call written as a literal in the app's sources, and every string constant there
    (f-strings' fixed parts too)."""
    root = Path(__file__).resolve().parents[1]
    calls, constants = set(), set()
    for path in [root / "app.py", *(root / "cls_core" / "app").rglob("*.py")]:
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in {"text", "page", "UserError"}:
                    calls.add((path.name, node.args[0].value))
    return calls, constants


def test_every_text_the_app_asks_for_exists_and_every_text_is_used():
    calls, constants = app_strings()
    assert not [(where, key) for where, key in calls if key not in i18n.TEXTS]
    # a key is used when written out, or made from a prefix: f"reason_{...}", "tab_" + tab_id
    prefixes = {c for c in constants if c.endswith("_")}
    unused = [k for k in i18n.TEXTS if k not in constants and not any(k.startswith(p) for p in prefixes)]
    assert not unused, unused


CJK = r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]"


def test_chinese_strings_use_full_width_colons():
    """ "真实: 教育" reads as English punctuation in a Chinese sentence: a colon after Chinese
    text, or before it, is the full-width "：" (an ASCII one stays in "3:0", "tf-idf" and the like)."""
    for key, (_, simplified) in i18n.TEXTS.items():
        assert not re.search(CJK + r"\s*:|:\s*" + CJK + "|: ", simplified), (key, simplified)
    assert i18n.text("colon", "zh-CN") == "：" and i18n.text("colon", "en") == ": "


# (the term, variants that mean the same in the same views and must not appear beside it)
ZH_TERMS = [
    ("未知字", ["生字"]),
    ("n 元组", ["n-gram", "n元组", "N 元组"]),
    ("字窗口", [r"\} 元(?!组)", r"\d 元(?!组)"]),
]


@pytest.mark.parametrize("term, variants", ZH_TERMS)
def test_one_chinese_term_per_idea(term, variants):
    """ "n-gram 得分" stood beside "n 元组", "按生字比例" under "按未知字比例", and "2 元" (a price)
    named a 2-character window."""
    strings = [simplified for _, simplified in i18n.TEXTS.values()]
    assert any(term in s for s in strings)
    for variant in variants:
        assert not [s for s in strings if re.search(variant, s)], variant
