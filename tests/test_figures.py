import numpy as np

from cls_core import figures


def test_display_name_glosses_thucnews_classes():
    assert figures.display_name("sports") == "体育 sports"
    assert figures.display_name("other") == "other"


def test_confusion_heatmap_counts_and_row_shares():
    confusion = [[8, 2], [1, 9]]
    counts = figures.confusion_heatmap(confusion, ["sports", "game"])
    assert np.array_equal(np.asarray(counts.data[0].z), [[8, 2], [1, 9]])
    assert list(counts.data[0].x) == ["体育 sports", "游戏 game"]
    shares = figures.confusion_heatmap(confusion, ["sports", "game"], normalize=True)
    np.testing.assert_allclose(np.asarray(shares.data[0].z), [[0.8, 0.2], [0.1, 0.9]])
    assert shares.data[0].text[0][1] == "20%"


def test_probability_bars_show_the_top_classes_in_order():
    fig = figures.probability_bars(["finance", "sports", "game"], [0.1, 0.7, 0.2], top_k=2)
    assert list(fig.data[0].y) == ["游戏 game", "体育 sports"]  # plotly draws bottom-up: best on top
    assert list(fig.data[0].x) == [0.2, 0.7]


def test_char_bars_keep_repeated_characters_apart():
    fig = figures.char_bars(list("国足国"), [0.5, 0.3, 0.2], "attention")
    assert list(fig.data[0].x) == [0, 1, 2]
    assert list(fig.layout.xaxis.ticktext) == ["国", "足", "国"]
    assert list(fig.data[0].y) == [0.5, 0.3, 0.2]


def test_hidden_heatmap_puts_units_on_y():
    hidden = np.arange(12, dtype=float).reshape(3, 4)  # 3 characters, 4 units
    fig = figures.hidden_heatmap(list("abc"), hidden, "h")
    assert np.asarray(fig.data[0].z).shape == (4, 3)


def test_reading_chart_draws_the_leading_classes():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    fig = figures.reading_chart(list("ab"), probs, ["finance", "sports", "game"], top_k=2)
    assert {t.name for t in fig.data} == {"财经 finance", "体育 sports"}
    assert list(fig.data[0].y) == [0.3, 0.7]  # sports peaks highest, so comes first


def test_reliability_diagram_skips_empty_bins():
    bins = [{"lower": 0.0, "upper": 0.5, "count": 0, "confidence": None, "accuracy": None},
            {"lower": 0.5, "upper": 1.0, "count": 4, "confidence": 0.8, "accuracy": 0.75}]
    fig = figures.reliability_diagram(bins)
    assert list(fig.data[0].x) == [0.75] and list(fig.data[0].y) == [0.75]


def test_training_curves_read_the_log_records():
    log = [{"type": "step", "epoch": 1, "step": 50, "train_loss": 1.0},
           {"type": "epoch", "epoch": 1, "step": 100, "dev_loss": 0.8, "dev_acc": 0.7}]
    fig = figures.training_curves(log, "t")
    assert list(fig.data[0].x) == [50] and list(fig.data[2].y) == [0.7]


def test_highlight_scales_to_unit_range_and_shows_spaces():
    pairs = figures.highlight(["a", " ", "c"], [2.0, -1.0, 0.0])
    assert pairs == [("a", 1.0), ("␣", -0.5), ("c", 0.0)]
    assert figures.highlight(["a"], [0.0]) == [("a", 0.0)]
