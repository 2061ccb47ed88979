import re

import numpy as np
import pytest

from cls_core.app import figures
from cls_core.app.i18n import CLASS_GLOSS, class_name, text


def test_class_names_follow_the_language():
    assert class_name("sports") == "体育 sports"
    assert class_name("sports", "zh-CN") == "体育" and class_name("sports", "zh-TW") == "體育"
    assert class_name("other", "zh-CN") == "other"


def test_char_bars_keep_repeated_characters_apart():
    fig = figures.char_bars(list("国足国"), [0.5, 0.3, 0.2], "attention")
    assert list(fig.data[0].x) == [0, 1, 2]
    assert fig.layout.xaxis.labelalias == {"0": "国", "1": "足", "2": "国"}
    assert list(fig.data[0].y) == [0.5, 0.3, 0.2]


def test_signed_bars_are_red_toward_and_violet_away_with_a_legend():
    fig = figures.char_bars(list("abc"), [0.5, -0.3, 0.0], "t", "w", cls="体育", lang="zh-CN")
    toward, away = fig.data
    assert (toward.marker.color, list(toward.x), toward.name) == (figures.TOWARD, [0, 2], "推向 体育")
    assert (away.marker.color, list(away.x), away.name) == (figures.AWAY, [1], "推离 体育")
    assert fig.layout.showlegend is True


def test_a_character_axis_is_the_headline_labelled_upright():
    """On a phone the labels of a long headline, turned 90°, ran into a block: a category axis
    lets plotly label every k-th character where there is no room for all, upright."""
    axis = figures._char_axis(list("国足 完胜" * 40))
    assert (axis["type"], axis["tickangle"], axis["range"]) == ("category", 0, [-0.5, 199.5])
    assert axis["categoryarray"] == list(range(200)) and axis["categoryorder"] == "array"
    assert [axis["labelalias"][str(i)] for i in range(5)] == ["国", "足", "␣", "完", "胜"]
    assert "tickvals" not in axis  # not a fixed set: as many as the chart's width has room for


def test_bars_pushing_away_far_apart_stay_one_character_wide():
    """詹姆斯末节独取15分 under TextCNN: 末 and 5 push away, five characters apart; plotly made the
    violet bars five characters wide and ran the axis from -7 to 21."""
    chars = list("詹姆斯末节独取15分")
    values = [0.7, 1.0, 0.07, -0.002, 0.003, 0.004, 0.004, 0.002, -0.008, 0.002]
    fig = figures.char_bars(chars, values, "t", "w", cls="体育")
    toward, away = fig.data
    assert list(away.x) == [3, 8]
    assert toward.width == away.width == figures.BAR_WIDTH <= 1
    assert list(fig.layout.xaxis.range) == [-0.5, 9.5] and fig.layout.barmode == "overlay"


def test_the_even_share_is_a_line_across_the_headline_in_the_legend():
    fig = figures.char_bars(list("国足完胜"), [0.4, 0.3, 0.2, 0.1], "t", "a", lang="zh-CN", reference=0.25)
    (line,) = fig.layout.shapes
    assert (line.xref, line.x0, line.x1, line.y0, line.y1) == ("paper", 0, 1, 0.25, 0.25)
    assert line.showlegend and line.name == "平均份额 1/n" and len(fig.data) == 1


def test_hidden_heatmap_puts_units_on_y():
    hidden = np.arange(12, dtype=float).reshape(3, 4)  # 3 characters, 4 units
    fig = figures.hidden_heatmap(list("abc"), hidden, "h")
    assert np.asarray(fig.data[0].z).shape == (4, 3)


def test_reading_chart_draws_the_leading_classes():
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    fig = figures.reading_chart(list("ab"), probs, ["finance", "sports", "game"], top_k=2)
    assert {t.name for t in fig.data} == {"财经 finance", "体育 sports"}
    assert list(fig.data[0].y) == [0.3, 0.7]  # sports peaks highest, so comes first
    assert (
        figures.reading_chart(list("ab"), probs, ["finance", "sports", "game"], "zh-CN").layout.title.text
        == "逐字阅读：读到每个字时的答案"
    )


def test_reliability_diagram_skips_empty_bins():
    bins = [
        {"lower": 0.0, "upper": 0.5, "count": 0, "confidence": None, "accuracy": None},
        {"lower": 0.5, "upper": 1.0, "count": 4, "confidence": 0.8, "accuracy": 0.75},
    ]
    fig = figures.reliability_diagram(bins)
    assert list(fig.data[0].x) == [0.75] and list(fig.data[0].y) == [0.75]


def test_training_curves_draw_train_loss_and_dev_per_epoch():
    epochs = [{"type": "epoch", "epoch": 1, "step": 100, "dev_loss": 0.8, "dev_acc": 0.7}]
    fig = figures.training_curves(([1, 2], [1.0, 0.9], "train loss"), epochs, "t", "zh-CN")
    assert list(fig.data[0].x) == [1, 2] and list(fig.data[2].y) == [0.7]
    assert fig.layout.xaxis.title.text == "训练步数"


def test_training_curves_accuracy_axis_stays_in_0_to_100_with_distinct_ticks():
    flat = [{"epoch": e, "step": 10 * e, "dev_loss": 1.4, "dev_acc": 0.25} for e in (1, 2, 3)]
    axis = figures.training_curves(([1], [1.4], "l"), flat, "t").layout.yaxis2
    assert 0 <= axis.range[0] <= 0.25 and 1 <= axis.range[1] <= 1.05  # not -50 % .. 100 %
    high = [{"epoch": e, "step": 10 * e, "dev_loss": 0.1, "dev_acc": a} for e, a in ((1, 0.98), (2, 1.0))]
    axis = figures.training_curves(([1], [0.1], "l"), high, "t").layout.yaxis2
    assert axis.dtick >= 0.01 and axis.tickformat == ".0%"  # whole-percent steps: no "98% 98% 99%"
    assert figures.training_curves(([1, 2], [1.4, 1.3], "l"), [], "t").layout.showlegend  # before the first epoch


def test_small_character_scores_are_not_written_with_si_prefixes():
    fig = figures.char_bars(list("国足"), [0.0005, -0.0004], "t", "probability drop", "体育")
    assert fig.layout.yaxis.exponentformat == "none" and fig.layout.yaxis.title.text == "probability drop"


def test_the_coverage_charts_accuracy_axis_ends_at_100_percent():
    rows = [{"coverage": c, "accuracy": 1.0, "threshold": t} for c, t in ((1.0, 0.0), (0.5, 0.9))]
    axis = figures.coverage_chart({"mine/textcnn": (rows, rows[1])}).layout.yaxis
    assert 0.9 <= axis.range[0] < 1 and 1 <= axis.range[1] <= 1.01  # a model always right: not 0–200 %
    rows = [{"coverage": c, "accuracy": a, "threshold": t} for c, a, t in ((1.0, 0.913, 0.0), (0.5, 0.99, 0.9))]
    low, high = figures.coverage_chart({"TextCNN": (rows, None)}).layout.yaxis.range
    assert 0.88 <= low <= 0.91 and high <= 1.01


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


# --- every figure of the app, from small made-up numbers ----------------------------------------

MODELS = ["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)"]


def coverage_rows(model_index):
    rows = [
        {"coverage": c, "accuracy": 0.9 + 0.05 * (1 - c) + 0.001 * model_index, "threshold": 0.5 + 0.4 * (1 - c)}
        for c in (1.0, 0.9, 0.8, 0.7)
    ]
    return rows, dict(rows[1], threshold=0.63 + 0.05 * model_index)


def every_figure(lang="en"):
    """{name: figure} for every figure function of cls_core.app.figures and deep_figures."""
    import json
    from pathlib import Path

    from cls_core.app import deep_figures

    chars = list("国足完胜泰国队")
    rng = np.random.default_rng(0)
    experiments = json.loads(
        (Path(__file__).resolve().parents[1] / "checkpoints" / "experiments.json").read_text(encoding="utf-8")
    )
    summary = {
        "headlines": 50,
        "pairs": {
            "attention vs occlusion": {"mean": 0.2, "median": 0.3, "n": 50},
            "integrated_gradients vs occlusion": {"mean": 0.5, "median": 0.5, "n": 50},
        },
    }
    slice_rows = {
        "length": [
            {"bin": "1–10", "accuracy": 0.9, "headlines": 10},
            {"bin": "11–20", "accuracy": 0.92, "headlines": 30},
        ]
    }
    slice_rows["unknown_share"] = slice_rows["length"]
    points = {
        "coords": rng.normal(size=(6, 2)),
        "labels": np.array([0, 1, 2, 0, 1, 2]),
        "predicted": np.array([0, 1, 1, 0, 2, 2]),
        "classes": ["finance", "sports", "game"],
        "texts": [f"标题{i}" for i in range(6)],
    }
    out = {
        "char_bars": figures.char_bars(
            chars, rng.normal(size=7), text("title_occlusion", lang, cls="体育"), "w", cls="体育", lang=lang
        ),
        "char_bars_reference": figures.char_bars(
            chars, rng.random(7), text("title_attention", lang), "a", lang=lang, reference=1 / 7
        ),
        "hidden_heatmap": figures.hidden_heatmap(
            chars, rng.normal(size=(7, 4)), text("title_hidden", lang, layer=1, direction="→"), lang
        ),
        "reading_chart": figures.reading_chart(
            chars, rng.dirichlet(np.ones(3), size=7), ["finance", "sports", "game"], lang
        ),
        "reliability_diagram": figures.reliability_diagram(
            [{"lower": 0.5, "upper": 1.0, "count": 4, "confidence": 0.8, "accuracy": 0.75}], lang
        ),
        "training_curves": figures.training_curves(
            ([1, 2], [1.0, 0.9], "train"),
            [{"step": 2, "dev_loss": 0.8, "dev_acc": 0.7}],
            text("title_training", lang, model="TextCNN"),
            lang,
        ),
        "accuracy_bars": figures.accuracy_bars(
            [("a", 0.9090, "", False), ("b", 0.9173, "", True)], text("title_accuracy", lang), lang=lang
        ),
        "coverage_chart": figures.coverage_chart({m: coverage_rows(i) for i, m in enumerate(MODELS)}, lang),
        "methods_chart": deep_figures.methods_chart(
            chars,
            {"attention": rng.random(7), "integrated_gradients": rng.normal(size=7), "occlusion": rng.normal(size=7)},
            lang,
        ),
        "agreement_chart": deep_figures.agreement_chart({m: summary for m in MODELS[:2]}, lang),
        "unit_track_chart": deep_figures.unit_track_chart(chars, rng.uniform(-1, 1, 7), 1, "forward", 5, lang),
        "projection_scatter": deep_figures.projection_scatter(points, "tsne", lang),
        "slices_chart": deep_figures.slices_chart({m: slice_rows for m in MODELS}, "unknown_share", lang),
        "per_class_bars": figures.per_class_bars(
            {m: rng.uniform(0.8, 1, 3) for m in MODELS}, ["finance", "sports", "game"], "F1", "F1", lang
        ),
        "variant_bars": figures.variant_bars(
            {m: {"test": 0.9, "s2twp": 0.89} for m in MODELS},
            [("test", "test"), ("s2twp", "Traditional (s2twp)")],
            "t",
            lang,
        ),
    }
    out.update({f"experiments_{k}": f for k, f in deep_figures.experiments_figures(experiments, lang).items()})
    return out


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_figure_shares_one_background_and_font(lang):
    """Drawn the same whatever plotly's default template is when the app runs: white, one
    font, one ink (the page is kept light around them)."""
    for name, fig in every_figure(lang).items():
        layout = fig.layout
        assert layout.paper_bgcolor == layout.plot_bgcolor == figures.BACKGROUND, name
        assert (layout.font.family, layout.font.color) == (figures.FONT, figures.INK), name


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_figure_fits_a_phone(lang):
    """On a 390 px phone: titles wrap (no line over ~20 Chinese characters) and start below
    plotly's mode bar; legends lie in rows below the plot, not in the mode bar's corner;
    character axes make room for their labels and may turn them."""
    for name, fig in every_figure(lang).items():
        title = fig.layout.title
        assert all(figures._columns(line) <= figures.TITLE_COLUMNS for line in title.text.split("<br>")), name
        assert (title.yref, title.yanchor, title.pad.t) == ("container", "top", figures.MODEBAR), name
        assert fig.layout.margin.t >= figures.MODEBAR + figures.TITLE_LINE * (title.text.count("<br>") + 1), name
        legend = fig.layout.legend  # below the plot, or at the foot of the figure (below the x axis's labels)
        assert legend.orientation == "h" and (legend.y < 0 or (legend.yref, legend.y) == ("container", 0)), name
    axis = every_figure(lang)["methods_chart"].layout.xaxis
    assert axis.automargin is True and axis.tickangle == 0 and axis.type == "category"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_figure_takes_its_cards_width(lang):
    """No figure has a width of its own: the page draws it at its card's (a figure drawn in a
    hidden tab came back at plotly's 700 px, half a desktop card, twice a phone's)."""
    for name, fig in every_figure(lang).items():
        assert fig.layout.width is None and fig.layout.autosize is True, name


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_upright_axis_titles_fit_beside_the_plot(lang):
    """The experiments' "accuracy (the axis starts at 77%, not 0)", turned upright, was longer
    than the plot is high and ran into the chart's title: it wraps to the plot's height."""
    wrapped = 0
    for name, fig in every_figure(lang).items():
        layout = fig.layout
        plot = layout.height - layout.margin.t - layout.margin.b - figures.LEGEND_ROW
        for axis in (layout[key] for key in ("yaxis", "yaxis2") if key in layout):
            if axis.title and axis.title.text:
                lines = axis.title.text.split("<br>")
                longest = max(figures._columns(line) for line in lines)
                assert longest <= max(16, plot / figures.AXIS_COLUMN), (name, axis.title.text)
                assert axis.automargin, name  # the margin makes room for its lines
                wrapped += len(lines) > 1
    assert wrapped >= 3  # the experiments' accuracy axes, at least


def test_long_titles_wrap_at_a_separator():
    assert (
        figures.wrap_title("各方法一致吗？1,000 条测试标题上的平均 Spearman 秩相关")
        == "各方法一致吗？1,000 条测试标题上的平均<br>Spearman 秩相关"
    )
    assert (
        figures.wrap_title("Reading the headline: the answer after each character")
        == "Reading the headline:<br>the answer after each character"
    )
    assert figures.wrap_title("短标题") == "短标题"


def colours(fig):
    """{trace name: colour} of a figure's named traces."""
    return {t.name: t.marker.color if t.type == "bar" else t.line.color for t in fig.data if t.name}


def test_a_method_keeps_its_colour_in_every_chart():
    """Colours were given by position: attention red and integrated gradients green for one
    headline, the reverse for another."""
    from cls_core.app import deep_figures

    chars, rng = list("国足完胜"), np.random.default_rng(0)
    one = colours(
        deep_figures.methods_chart(
            chars, {"attention": rng.random(4), "integrated_gradients": rng.random(4), "occlusion": rng.random(4)}
        )
    )
    other = colours(
        deep_figures.methods_chart(
            chars,
            {"integrated_gradients": rng.random(4), "occlusion": rng.random(4), "attention": rng.random(4)},
            "zh-CN",
        )
    )
    linear = colours(deep_figures.methods_chart(chars, {"ngram": rng.random(4), "occlusion": rng.random(4)}))
    assert one["attention"] == other["注意力"] == figures.METHOD_COLOURS["attention"]
    assert one["integrated gradients"] == other["积分梯度"] != one["attention"]
    assert one["occlusion"] == other["遮挡"] == linear["occlusion"]
    assert len(set(figures.METHOD_COLOURS.values())) == len(figures.METHOD_COLOURS)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_a_model_keeps_its_colour_in_every_chart(lang):
    from cls_core.app import deep_figures
    from cls_core.app.wording import model_label

    summary = {"headlines": 5, "pairs": {"attention vs occlusion": {"mean": 0.2, "median": 0.3, "n": 5}}}
    slice_rows = {"length": [{"bin": "1–10", "accuracy": 0.9, "headlines": 10}]}
    seen = {}
    for models in (MODELS, MODELS[::-1], MODELS[1:]):
        shown = [model_label(m, lang) for m in models]
        for fig in (
            figures.coverage_chart({m: coverage_rows(0) for m in shown}, lang),
            deep_figures.agreement_chart({m: summary for m in shown}, lang),
            deep_figures.slices_chart({m: slice_rows for m in shown}, "length", lang),
        ):
            for name, colour in colours(fig).items():
                model = models[shown.index(re.split(" · |<br>", name)[0])]
                assert seen.setdefault(model, colour) == colour == figures.MODEL_COLOURS[model], (model, fig)
    assert (
        len(seen) == 3
        and figures.model_colour("集成（各模型平均）") == figures.MODEL_COLOURS["Ensemble (average of the models)"]
    )
    assert figures.model_colour("some new model") == figures.model_colour("some new model")


def test_coverage_thresholds_are_in_the_legend_not_written_on_top_of_each_other():
    """Several models' thresholds ("63% 70% 73% 63%") were written beside their points,
    which lie close together, so the labels overlapped."""
    fig = figures.coverage_chart({m: coverage_rows(i) for i, m in enumerate(MODELS)}, "zh-CN")
    assert not [t for t in fig.data if "text" in (t.mode or "") or t.text]
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "BiLSTM-attention · 选定阈值 63%",
        "TextCNN · 选定阈值 68%",
        "Linear (TF-IDF + SVM) · 选定阈值 73%",
    ]
    assert figures.coverage_chart({"TextCNN": (coverage_rows(0)[0], None)}).data[0].name == "TextCNN"
    # one line too wide for a phone: the threshold on a line of its own
    ensemble = figures.coverage_chart({"Ensemble (average of the models)": coverage_rows(0)}).data[0].name
    assert ensemble == "Ensemble (average of the models)<br>chosen threshold 63%"


@pytest.mark.parametrize(
    "lang, says", [("en", "axis starts at 89%"), ("zh-CN", "坐标轴从 89% 起"), ("zh-TW", "座標軸從 89% 起")]
)
def test_an_accuracy_axis_that_does_not_start_at_0_says_so(lang, says):
    """The overview's bars began at 89 % with no sign of it."""
    fig = figures.accuracy_bars([("a", 0.9090, "", False), ("b", 0.9173, "", True)], "t", lang=lang)
    unwrapped = re.sub(r"\s|<br>", "", fig.layout.xaxis.title.text)  # the title wraps (a phone)
    assert fig.layout.xaxis.range[0] == 0.89 and re.sub(r"\s", "", says) in unwrapped
    for name, fig in every_figure(lang).items():
        if name.startswith("experiments_") and not name.startswith("experiments_gradients"):
            start = fig.layout.yaxis.range[0]
            assert start > 0 and f"{start:.0%}" in fig.layout.yaxis.title.text, name


def test_batch_size_values_are_not_under_the_line_markers():
    """The seconds-per-epoch line's markers sat on the bars' "73.9%" labels: the accuracy is
    written under each batch size on the axis instead, the pad-size bars keep theirs."""
    fig = every_figure()["experiments_batch_size"]
    assert not [t for t in fig.data if t.text] and "256<br>73.9%" in fig.layout.xaxis.ticktext
    assert every_figure()["experiments_pad_size"].data[0].text


def test_log_axes_label_a_few_round_values():
    """Over one or two decades plotly labelled every digit ("4 3 2 … 9 8 7 6")."""
    from cls_core.app.deep_figures import log_ticks

    assert log_ticks([0.03, 1.28])[0] == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert log_ticks([1e-6, 10.0]) == (
        [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0],
        ["1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10"],
    )
    for state in ("trained", "init"):
        axis = every_figure()[f"experiments_gradients_{state}"].layout.yaxis
        assert axis.type == "log" and 2 <= len(axis.tickvals) <= 8 and len(axis.ticktext) == len(axis.tickvals)


def test_chinese_hover_text_uses_full_width_colons_and_chinese_words():
    for name, fig in every_figure("zh-CN").items():
        for trace in fig.data:
            hover = trace.hovertemplate or ""
            assert ": " not in hover, (name, hover)
            words = set(re.findall(r"[a-z]+", re.sub(r"%\{[^}]*\}|<[^>]*>", "", hover)))
            assert not {"mean", "median", "test", "dev"} & words, (name, hover)


def lab(colour, opacity=1.0):
    """CIE L*a*b* (D65) of "#rrggbb" drawn at opacity on white."""
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]) * opacity + (1 - opacity)
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    f = np.cbrt(xyz / np.array([0.95047, 1.0, 1.08883]))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_the_ten_topics_have_colours_far_apart():
    """On the map 财经 and 娱乐 were two grey-blues (slate and navy: 19 apart in CIE Lab, where
    two colours told apart at a glance are 25 or more), at the map's opacity closer still."""
    from cls_core.app.deep_figures import MAP_OPACITY

    colours = list(figures.TOPIC_COLOURS.values())
    assert len(set(colours)) == 10 and set(figures.TOPIC_COLOURS) == set(CLASS_GLOSS)
    for opacity in (1.0, MAP_OPACITY):
        points = [lab(c, opacity) for c in colours]
        nearest = min(np.linalg.norm(a - b) for i, a in enumerate(points) for b in points[i + 1 :])
        assert nearest > 25, opacity
    assert min(lab(c)[0] for c in colours) > 25  # none near the black of the map's mistakes


def test_a_topic_has_one_colour_in_every_chart():
    """The map and the reading lines colour a topic alike, whatever else is drawn beside it."""
    from cls_core.app import deep_figures

    classes = ["finance", "sports", "game"]
    rng = np.random.default_rng(0)
    points = {
        "coords": rng.normal(size=(6, 2)),
        "labels": np.array([0, 1, 2, 0, 1, 2]),
        "predicted": np.array([0, 1, 1, 0, 2, 2]),
        "classes": classes,
        "texts": ["t"] * 6,
    }
    on_map = {t.name: t.marker.color for t in deep_figures.projection_scatter(points, lang="zh-CN").data[:3]}
    probs = rng.dirichlet(np.ones(3), size=4)
    reading = {t.name: t.line.color for t in figures.reading_chart(list("国足完胜"), probs, classes, "zh-CN").data}
    for c in classes:
        name = class_name(c, "zh-CN")
        assert on_map[name] == reading[name] == figures.TOPIC_COLOURS[c]
    # a data set of your own: its topics take the colours in order, none twice
    own = figures.topic_colours(["天气", "美食", "sports", "旅游"])
    assert own[2] == figures.TOPIC_COLOURS["sports"] and len(set(own)) == 4


def test_a_small_test_splits_map_draws_larger_points():
    from cls_core.app import deep_figures

    rng = np.random.default_rng(0)

    def map_of(n):
        labels = np.arange(n) % 4
        return deep_figures.projection_scatter(
            {
                "coords": rng.normal(size=(n, 2)),
                "labels": labels,
                "predicted": labels,
                "classes": ["天气", "美食", "旅游", "健康"],
                "texts": ["t"] * n,
            }
        )

    assert map_of(40).data[0].marker.size > map_of(10_000).data[0].marker.size == 4


def test_a_slice_no_model_has_a_headline_in_is_left_off_the_axis():
    """An own test split of a few dozen short headlines has no headline of 25 characters: an
    empty bin on the axis read as an accuracy of 0."""
    from cls_core.app import deep_figures

    def rows(counts):
        return {
            "length": [
                {"bin": b, "headlines": n, "accuracy": 0.9 if n else None}
                for b, n in zip(["≤ 12", "13–16", "≥ 25"], counts)
            ]
        }

    fig = deep_figures.slices_chart({"a": rows([5, 3, 0]), "b": rows([4, 0, 0])}, "length", "en")
    assert [list(t.x) for t in fig.data] == [["≤ 12", "13–16"], ["≤ 12", "13–16"]]
    assert list(fig.data[1].y) == [0.9, None]  # empty for one model, not for the other: kept
