import numpy as np
import pytest
from scipy.special import softmax
from sklearn.model_selection import StratifiedKFold

from cls_core.models.calibration import fit_temperature
from cls_core.models.linear import LinearModel, analyzed_text, out_of_fold_proba

TEXTS = ["国足3:0胜泰国", "央行下调准备金率", "新盘开盘均价两万", "国足\t输了", "央行\n加息", "楼盘  降价"]
LABELS = [0, 1, 2, 0, 1, 2]


@pytest.fixture(scope="module")
def model():
    return LinearModel.fit(TEXTS, LABELS, ["sports", "finance", "realty"])


def test_text_is_read_as_scikit_learn_reads_it(model):
    analyzer = model.vectorizer.build_analyzer()
    for text in ["国足\t胜", "央行 \n\t加息", "NBA\n总决赛  İstanbul ΑΣ"]:
        analyzed, origin = analyzed_text(text)
        assert list(analyzed) == [g for g in analyzer(text) if len(g) == 1]
        assert len(origin) == len(analyzed) and origin == sorted(origin) and origin[-1] < len(text)
    assert analyzed_text("国足\t胜")[0] == "国足\t胜"  # a lone tab stays a tab...
    assert analyzed_text("国足 \n\t胜") == ("国足 胜", [0, 1, 2, 5])  # ...a run becomes one space


@pytest.mark.parametrize("text", ["国足\t胜泰国", "央行\n加息\t国足", "楼盘  降价 \t\n国足", "İstanbul\t国足"])
def test_character_scores_sum_to_the_score_with_tabs_and_newlines(model, text):
    scores = model.decision_function([text])[0]
    for c in range(3):
        ngrams, char_scores = model.contributions(text, c)
        assert len(char_scores) == len(text)
        assert char_scores.sum() == pytest.approx(scores[c] - model.intercept[c], abs=1e-5)
        assert sum(v for _, v in ngrams) == pytest.approx(scores[c] - model.intercept[c], abs=1e-5)


def test_ngrams_with_a_lone_tab_count(model):
    ngrams, char_scores = model.contributions("国足\t胜泰国", 0)
    assert {"\t", "足\t"} <= {g for g, _ in ngrams}
    assert char_scores[2] != 0  # the tab's own share


def test_the_same_data_fits_the_same_model():
    first, second = (LinearModel.fit(TEXTS * 20, LABELS * 20, ["a", "b", "c"]) for _ in range(2))
    np.testing.assert_array_equal(first.coef, second.coef)


def test_out_of_fold_probabilities_come_from_models_that_never_saw_the_text():
    """Each fold's headlines scored by a LinearModel fitted on the other folds, calibrated."""
    texts, labels = TEXTS * 5, LABELS * 5
    expected = np.zeros((len(texts), 3))
    for fit, held_out in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        model = LinearModel.fit([texts[i] for i in fit], [labels[i] for i in fit], ["a", "b", "c"])
        expected[held_out] = model.decision_function([texts[i] for i in held_out])
    expected = softmax(expected / fit_temperature(expected, labels), axis=1)
    np.testing.assert_allclose(out_of_fold_proba(texts, labels, ["a", "b", "c"]), expected, atol=1e-5)
    with pytest.raises(ValueError, match="all 4 classes"):
        out_of_fold_proba(texts, labels, ["a", "b", "c", "d"])
