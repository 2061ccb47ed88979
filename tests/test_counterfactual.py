"""Input reduction and the smallest flipping edit, re-scored by the real models."""

import numpy as np
import pytest

from cls_core.explain import counterfactual
from cls_core.models.predictor import SHIPPED_MODELS, Predictor

HEADLINES = ["国足3:0完胜泰国队", "央行宣布下调存款准备金率", "高考志愿填报指南发布"]


@pytest.fixture(scope="module", params=list(SHIPPED_MODELS.values()))
def predictor(request, checkpoint_dir):
    return Predictor.load(checkpoint_dir / request.param, "cpu", "fp32")  # exact comparisons; bf16: test_precision


def top(predictor, text):
    probs = predictor.predict_proba([text])[0]
    return int(probs.argmax()), float(probs.max())


def test_reduction_keeps_the_answer(predictor):
    for text in HEADLINES:
        result = counterfactual.input_reduction(predictor, text)
        chars = predictor.read_as(text)
        assert result["text"] == "".join(chars[i] for i in result["kept"])
        assert 1 <= len(result["text"]) < len(chars)
        assert result["evaluations"] <= counterfactual.REDUCTION_EVALUATIONS
        c, p = top(predictor, result["text"])
        assert c == result["class_index"] == top(predictor, text)[0]
        assert p == pytest.approx(result["probability"], abs=1e-5)


def test_flip_really_flips(predictor):
    found = 0
    for text in HEADLINES:
        result = counterfactual.smallest_flip(predictor, text)
        assert result["evaluations"] <= counterfactual.flip_budget(predictor)
        assert result["original_class_index"] == top(predictor, text)[0]
        flip = result["flip"]
        if flip is None:
            continue
        found += 1
        chars, edit = predictor.read_as(text), flip["edit"]
        assert chars[edit["position"]] == edit["from"]
        assert flip["text"] == chars[: edit["position"]] + edit["to"] + chars[edit["position"] + 1 :]
        assert len(flip["text"]) == len(chars) - (edit["kind"] == "delete")
        c, p = top(predictor, flip["text"])
        assert c == flip["class_index"] != result["original_class_index"]
        assert p == pytest.approx(flip["probability"], abs=1e-5)
    assert found >= 1


def test_search_is_deterministic_and_bounded(predictor):
    text = HEADLINES[0]
    assert counterfactual.smallest_flip(predictor, text, 40) == counterfactual.smallest_flip(predictor, text, 40)
    assert counterfactual.smallest_flip(predictor, text, 40)["evaluations"] <= 40
    assert counterfactual.input_reduction(predictor, text, max_evaluations=5)["evaluations"] <= 5


def test_one_pass_gives_the_predictors_scores(predictor):
    """Texts of many lengths scored in one padded pass, as Predictor.scores scores them."""
    text = predictor.read_as(HEADLINES[1])
    texts = [text[:k] for k in range(len(text), 0, -1)] + HEADLINES + ["", "國足３：０完勝泰國隊"]
    np.testing.assert_allclose(predictor.scores_in_one_pass(texts), predictor.scores(texts), atol=1e-4)
    same_length = [text[:t] + text[t + 1 :] for t in range(len(text))]
    np.testing.assert_allclose(predictor.scores_in_one_pass(same_length), predictor.scores(same_length), atol=1e-4)


@pytest.fixture(scope="module")
def textcnn(checkpoint_dir):
    return Predictor.load(checkpoint_dir / SHIPPED_MODELS["TextCNN"], "cpu", "fp32")


def test_chinese_characters_beyond_the_bmp_are_chinese():
    """Extensions beyond the BMP (𠀀 U+20000, 𬱖 U+2CC56, 𰀀 U+30000) are ideographs, so a flip
    that puts one in is not "touching punctuation", nor is a compatibility ideograph (﨎 U+FA0E,
    which NFKC keeps); punctuation, digits, Latin and the private-use marker are not."""
    assert all(counterfactual.is_chinese(ch) for ch in "中㐀𠀀𬱖𰀀\ufa0e")
    assert not any(counterfactual.is_chinese(ch) for ch in ["(", "，", "3", "a", "Ａ", "\ue000", "<UNK>", "中国", ""])


def test_flips_edit_chinese_characters_first(textcnn):
    """The surest flip found was '穿' replaced by ':', which reads as noise; an edit of
    Chinese characters that flips the answer comes first."""
    result = counterfactual.smallest_flip(textcnn, "组图：备战艺考 女生穿比基尼半裸对视男生")
    flip = result["flip"]
    assert flip["chinese"] is True and counterfactual.is_chinese(flip["edit"]["from"])
    assert flip["edit"]["kind"] == "delete" or counterfactual.is_chinese(flip["edit"]["to"])
    assert top(textcnn, flip["text"])[0] == flip["class_index"] != result["original_class_index"]
    assert result["evaluations"] <= counterfactual.flip_budget(textcnn)


def test_a_flip_only_by_punctuation_says_so(textcnn):
    """No single edit of a Chinese character tried flips this one: the flip shown touches
    punctuation, and the page says so in every language."""
    from cls_core.app.wording import counterfactual_text

    headline = "名师指导：中学生期末高效复习法"
    flip = counterfactual.smallest_flip(textcnn, headline)
    found = flip["flip"]
    assert found["chinese"] is False and not counterfactual._chinese_edit(
        ("", 0, found["edit"]["from"], found["edit"]["to"])
    )
    assert flip["evaluations"] == counterfactual.flip_budget(textcnn)  # the fallback had its share
    reduction = counterfactual.input_reduction(textcnn, headline)
    r = {"reduction": reduction, "flip": flip, "chars": list(textcnn.read_as(headline))}
    assert "touches punctuation" in counterfactual_text(r, textcnn.classes, "en")
    assert "这一处改的是标点" in counterfactual_text(r, textcnn.classes, "zh-CN")
    chinese = dict(flip, flip=dict(found, chinese=True))
    assert "touches punctuation" not in counterfactual_text(dict(r, flip=chinese), textcnn.classes, "en")
