"""One normalisation for every path: Traditional script, full-width forms, invisible characters."""

import pytest

from cls_core.data.normalize import normalization_record, normalize_headline, normalizer_for

CASES = [
    ("國足3:0完勝泰國隊", "国足3:0完胜泰国队"),  # Traditional (Taiwan)
    ("蘋果發佈新款軟體，網路用戶熱議", "苹果发布新款软件,网络用户热议"),  # Taiwan phrasing: 軟體 -> 软件, 網路 -> 网络
    ("港股恒指收升300點 內地資金淨流入", "港股恒指收升300点 内地资金净流入"),  # Hong Kong
    ("ＧＤＰ同比增长５．３％：创新高", "GDP同比增长5.3%:创新高"),  # full-width letters, digits, punctuation
    ("国足\u200b胜\u200d泰国\ufeff", "国足胜泰国"),  # zero-width space, joiner, BOM
    ("  沪指\t大涨\n\n2% \u3000 ", "沪指 大涨 2%"),  # whitespace folded, ideographic space
    ("苹果发布新一代iPhone 😀🔥", "苹果发布新一代iPhone 😀🔥"),  # emoji and English words kept
    ("NBA總決賽G7：勇士奪冠", "NBA总决赛G7:勇士夺冠"),  # mixed scripts
]


@pytest.mark.parametrize("raw, expected", CASES)
def test_normalize_headline(raw, expected):
    assert normalize_headline(raw) == expected


@pytest.mark.parametrize("raw", [raw for raw, _ in CASES] + ["", "   ", "ｱｲｳ\u00bd", "Ⅻ月"])
def test_normalize_is_idempotent(raw):
    once = normalize_headline(raw)
    assert normalize_headline(once) == once


def test_simplified_headlines_mostly_pass_unchanged(data_dir):
    from cls_core.data import load_split

    texts = load_split(data_dir, "test").texts[::20]
    unchanged = sum(normalize_headline(t) == t for t in texts) / len(texts)
    assert unchanged > 0.80  # what changes is mostly the full-width colon, NFKC's work


def test_a_checkpoint_gets_the_normalisation_it_recorded():
    record = normalization_record()
    assert record["opencc_config"] == "tw2sp" and record["opencc"] and record["unicode"]
    assert normalizer_for(record)("國足３：０") == "国足3:0"
    assert normalizer_for(None)("國足３：０") == "國足３：０"  # old checkpoints read as before
    with pytest.warns(UserWarning, match="another normalisation version"):
        normalizer_for(dict(record, opencc="0.0.1"))
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalizer_for({"name": "something-else"})
