import numpy as np
import pytest

from cls_core.explain import inspection
from cls_core.models.linear import LinearModel
from cls_core.models.predictor import Predictor

TEXTS = ["国足3:0胜泰国", "央行下调准备金率", "新盘开盘均价两万", "国足输了", "央行加息", "楼盘降价"]
LABELS = [0, 1, 2, 0, 1, 2]


@pytest.fixture(scope="module")
def linear():
    model = LinearModel.fit(TEXTS, LABELS, ["sports", "finance", "realty"])
    return Predictor("linear", model.classes, 1.0, linear=model)


def test_linear_contributions_are_exact(linear):
    text = "国足 国足胜央行"
    r = inspection.inspect_linear(linear, text)
    score = linear.scores([text])[0][r["class_index"]]
    assert r["char_scores"].sum() + r["intercept"] == pytest.approx(score, abs=1e-5)
    assert sum(v for _, v in r["ngrams"]) + r["intercept"] == pytest.approx(score, abs=1e-5)
    assert len(r["char_scores"]) == len(text)


def test_reading_gives_one_row_per_prefix(linear):
    probs = inspection.reading(linear, "国足胜")
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs[-1], linear.predict_proba(["国足胜"])[0])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_occlusion_measures_each_character(linear):
    r = inspection.occlusion(linear, "国足胜")
    c = r["class_index"]
    full = linear.predict_proba(["国足胜"])[0, c]
    without_first = linear.predict_proba(["足胜"])[0, c]
    assert r["drop"][0] == pytest.approx(full - without_first)
    assert len(r["drop"]) == 3 and r["probability"] == pytest.approx(full)


def test_each_inspection_refuses_the_wrong_model(linear):
    with pytest.raises(ValueError, match="BiLSTM"):
        inspection.inspect_bilstm(linear, "国足")
    with pytest.raises(ValueError, match="TextCNN"):
        inspection.inspect_textcnn(linear, "国足")
