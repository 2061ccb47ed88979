import numpy as np

from cls_core.app import figures
from cls_core.app.i18n import class_name


def test_class_names_follow_the_language():
    assert class_name("sports") == "体育 sports"
    assert class_name("sports", "zh-CN") == "体育" and class_name("sports", "zh-TW") == "體育"
    assert class_name("other", "zh-CN") == "other"


def test_char_bars_keep_repeated_characters_apart():
    fig = figures.char_bars(list("国足国"), [0.5, 0.3, 0.2], "attention")
    assert list(fig.data[0].x) == [0, 1, 2]
    assert list(fig.layout.xaxis.ticktext) == ["国", "足", "国"]
    assert list(fig.data[0].y) == [0.5, 0.3, 0.2]


def test_signed_bars_are_red_toward_and_violet_away_with_a_legend():
    fig = figures.char_bars(list("abc"), [0.5, -0.3, 0.0], "t", "w", cls="体育", lang="zh-CN")
    toward, away = fig.data
    assert (toward.marker.color, list(toward.x), toward.name) == (figures.TOWARD, [0, 2], "推向 体育")
    assert (away.marker.color, list(away.x), away.name) == (figures.AWAY, [1], "推离 体育")
    assert fig.layout.showlegend is True


def test_many_characters_get_every_kth_label():
    axis = figures._char_axis(list("长" * 200))
    assert len(axis["tickvals"]) <= figures.MAX_CHAR_TICKS and axis["tickvals"][:2] == [0, 5]


def test_hidden_heatmap_puts_units_on_y():
    hidden = np.arange(12, dtype=float).reshape(3, 4)  # 3 characters, 4 units
    fig = figures.hidden_heatmap(list("abc"), hidden, "h")
    assert np.asarray(fig.data[0].z).shape == (4, 3)


def test_reading_chart_draws_the_leading_classes():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    fig = figures.reading_chart(list("ab"), probs, ["finance", "sports", "game"], top_k=2)
    assert {t.name for t in fig.data} == {"财经 finance", "体育 sports"}
    assert list(fig.data[0].y) == [0.3, 0.7]  # sports peaks highest, so comes first
    assert figures.reading_chart(list("ab"), probs, ["finance", "sports", "game"], "zh-CN").layout.title.text \
        == "逐字阅读：读到每个字时的答案"


def test_reliability_diagram_skips_empty_bins():
    bins = [{"lower": 0.0, "upper": 0.5, "count": 0, "confidence": None, "accuracy": None},
            {"lower": 0.5, "upper": 1.0, "count": 4, "confidence": 0.8, "accuracy": 0.75}]
    fig = figures.reliability_diagram(bins)
    assert list(fig.data[0].x) == [0.75] and list(fig.data[0].y) == [0.75]


def test_training_curves_draw_train_loss_and_dev_per_epoch():
    epochs = [{"type": "epoch", "epoch": 1, "step": 100, "dev_loss": 0.8, "dev_acc": 0.7}]
    fig = figures.training_curves(([1, 2], [1.0, 0.9], "train loss"), epochs, "t", "zh-CN")
    assert list(fig.data[0].x) == [1, 2] and list(fig.data[2].y) == [0.7]
    assert fig.layout.xaxis.title.text == "训练步数"


def test_accuracy_axis_spans_the_figures_shown():
    fig = figures.accuracy_bars([("a", 0.9090, "", False), ("b", 0.9173, "", True)], "t")
    low, high = fig.layout.xaxis.range
    assert 0.88 <= low <= 0.90 and 0.92 <= high <= 0.93  # not 86–100 %: the bars' ends differ visibly
    # one tick per whole percent, so the ".0%" labels never repeat ("91% 91%")
    assert fig.layout.xaxis.dtick == 0.01 and fig.layout.xaxis.tickformat == ".0%"


def test_heat_css_deepens_with_the_share():
    assert figures.heat_css(0) == ""
    assert "0.098" in figures.heat_css(0.02) and "color: white" in figures.heat_css(0.9)


def test_highlight_scales_to_unit_range_and_shows_spaces():
    pairs = figures.highlight(["a", " ", "c"], [2.0, -1.0, 0.0])
    assert pairs == [("a", 1.0), ("␣", -0.5), ("c", 0.0)]
    assert figures.highlight(["a"], [0.0]) == [("a", 0.0)]
