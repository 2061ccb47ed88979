"""Plotly figures for the "look deeper" views (attributions side by side, hidden units, the
map of the test split, slices, the experiments), built from plain numbers like
cls_core.app.figures, whose layout and colours they share. Fixed words come from
cls_core.app.i18n in the language asked for.
"""

import math

import numpy as np

from cls_core.app.figures import (
    LABEL_COLUMNS,
    PALETTE,
    _char_axis,
    _figure,
    method_colour,
    model_colour,
    topic_colours,
    wrap_title,
)
from cls_core.app.i18n import class_name, text
from cls_core.app.wording import method_label, pair_label

MAP_OPACITY = 0.6  # the map's points: dense regions read darker


def methods_chart(chars, scores, lang="en"):
    """Grouped bars: each method's per-character scores scaled by its largest |score|."""
    traces, x = [], list(range(len(chars)))
    for method, values in scores.items():
        values = np.asarray(values, dtype=float)
        top = float(np.abs(values).max()) or 1.0
        traces.append(
            dict(
                type="bar",
                x=x,
                y=values / top,
                name=method_label(method, lang),
                marker_color=method_colour(method),
                customdata=[[ch, float(v)] for ch, v in zip(chars, values)],
                hovertemplate="%{customdata[0]}" + text("colon", lang) + "%{customdata[1]:.4f}<extra></extra>",
            )
        )
    return _figure(
        traces,
        text("title_methods", lang),
        height=360,
        xaxis=_char_axis(chars),
        barmode="group",
        legend=dict(orientation="h", y=-0.2),
    )


def agreement_chart(summaries, lang="en"):
    """summaries: {model name: cached_agreement result}; a bar per (model, method pair)."""
    traces = []
    n = max((s["headlines"] for s in summaries.values()), default=0)
    for model, summary in summaries.items():
        names = list(summary["pairs"])
        labels = [wrap_title(pair_label(name, lang), LABEL_COLUMNS) for name in names]
        traces.append(
            dict(
                type="bar",
                x=[summary["pairs"][p]["mean"] for p in names],
                y=labels,
                orientation="h",
                name=model,
                marker_color=model_colour(model),
                customdata=[[summary["pairs"][p]["median"], summary["pairs"][p]["n"]] for p in names],
                hovertemplate=f"{text('col_mean', lang)} %{{x:.3f}} · {text('col_median', lang)} "
                f"%{{customdata[0]:.3f}} · {text('col_headlines', lang)} %{{customdata[1]}}"
                "<extra></extra>",
            )
        )
    return _figure(
        traces,
        text("title_agreement", lang, n=f"{n:,}"),
        height=360,
        xaxis=dict(range=[-1, 1], dtick=0.5, tickangle=0, title=text("axis_spearman", lang)),
        yaxis=dict(automargin=True),
        legend=dict(orientation="h", y=-0.25),
    )


def unit_track_chart(chars, values, layer, direction, unit, lang="en"):
    values = np.asarray(values, dtype=float)
    bars = dict(
        type="bar",
        x=list(range(len(chars))),
        y=values,
        customdata=list(chars),
        marker_color=np.where(values >= 0, PALETTE[1], PALETTE[3]),
        hovertemplate="%{customdata}" + text("colon", lang) + "%{y:.3f}<extra></extra>",
    )
    title = text("title_unit_track", lang, unit=unit, layer=layer, direction=text(direction, lang))
    return _figure(
        [bars], title, xaxis=_char_axis(chars), yaxis=dict(title=text("axis_activation", lang), range=[-1, 1])
    )


def point_size(n):
    """A map's marker size: small for THUCNews's 10,000 test headlines, larger for a test split
    of a few dozen (an own data set's), where 4-pixel dots were lost on the page."""
    return 4 if n > 2000 else 6 if n > 500 else 9


def projection_scatter(points, method="tsne", lang="en"):
    """One trace per true topic, then the mistakes as ✕ marks on top; a point's
    customdata[0] is its headline's number in the test split (what a click opens)."""
    coords, labels, predicted = points["coords"], points["labels"], points["predicted"]
    classes, texts = [str(c) for c in points["classes"]], points["texts"]
    traces = []
    colon = text("colon", lang)
    hover = (
        "%{customdata[1]}<br>"
        + text("col_true", lang)
        + colon
        + "%{customdata[2]} · "
        + text("col_predicted", lang)
        + colon
        + "%{customdata[3]}<extra></extra>"
    )

    def trace(index, **style):
        custom = [
            [int(i), str(texts[i]), class_name(classes[labels[i]], lang), class_name(classes[predicted[i]], lang)]
            for i in index
        ]
        traces.append(
            dict(
                type="scattergl",
                x=coords[index, 0],
                y=coords[index, 1],
                mode="markers",
                customdata=custom,
                hovertemplate=hover,
                **style,
            )
        )

    size = point_size(len(labels))
    for c, (name, colour) in enumerate(zip(classes, topic_colours(classes))):
        trace(
            np.flatnonzero(labels == c),
            name=class_name(name, lang),
            marker=dict(size=size, opacity=MAP_OPACITY, color=colour),
        )
    trace(
        np.flatnonzero(labels != predicted),
        name=text("legend_mistakes", lang),
        marker=dict(size=size + 2, symbol="x-thin", line=dict(width=1.5, color="black")),
    )
    return _figure(
        traces,
        text("title_map", lang, method="t-SNE" if method == "tsne" else "PCA"),
        height=620,
        xaxis=dict(showticklabels=False, zeroline=False),
        yaxis=dict(showticklabels=False, zeroline=False),
        legend=dict(itemsizing="constant"),
    )


def slices_chart(slices, which="length", lang="en"):
    """slices: {model name: accuracy_slices result}; grouped bars per bin."""
    # A bin no model has a headline in (an own test split of a few dozen short headlines) is
    # left out: an empty place on the axis reads as an accuracy of 0.
    filled = {i for result in slices.values() for i, r in enumerate(result[which]) if r["headlines"]}
    traces = []
    for model, result in slices.items():
        rows = [r for i, r in enumerate(result[which]) if i in filled]
        traces.append(
            dict(
                type="bar",
                x=[r["bin"] for r in rows],
                y=[r["accuracy"] for r in rows],
                name=model,
                marker_color=model_colour(model),
                customdata=[r["headlines"] for r in rows],
                hovertemplate="%{x}"
                + text("colon", lang)
                + "%{y:.1%} · %{customdata} "
                + text("headlines_n", lang)
                + "<extra></extra>",
            )
        )
    key = "title_slices_length" if which == "length" else "title_slices_unknown"
    return _figure(
        traces,
        text(key, lang),
        height=340,
        barmode="group",
        yaxis=dict(title=text("axis_accuracy", lang), tickformat=".0%"),
        legend=dict(orientation="h", y=-0.25),
    )


def _accuracy_axis(values, lang):
    """An accuracy axis from a little below the lowest value shown, so differences are visible;
    its title says where it starts, since it is not at 0."""
    low = min((v for v in values if v is not None), default=0.5)
    start = max(0.0, math.floor((low - 0.05) * 100) / 100)
    return dict(
        title=text("axis_accuracy_from", lang, low=start) if start > 0 else text("axis_accuracy", lang),
        tickformat=".0%",
        range=[start, 1.0],
    )


def log_ticks(values, most=8):
    """(tickvals, ticktext) for a log axis over values: 1, 2 and 5 of each decade they span, or
    only the powers of ten when that would be more than `most`. Plotly's own choice over one or
    two decades labels every digit, 2 to 9, and the labels run together."""
    values = [v for v in values if v > 0]
    if not values:
        return [], []
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    for steps in ((1, 2, 5), (1,)):
        ticks = [m * 10.0**e for e in range(low, high + 1) for m in steps]
        ticks = [t for t in ticks if min(values) / 1.5 <= t <= max(values) * 1.5] or [10.0**low]
        if len(ticks) <= most:
            break
    return ticks, [f"{t:g}" for t in ticks]


def _cells_figure(cells, lang):
    traces = []
    for i, direction in enumerate(("bidirectional", "unidirectional")):
        keys = [k for k in ("rnn", "gru", "lstm") if f"{k}/{direction}" in cells]
        runs = [cells[f"{k}/{direction}"] for k in keys]
        traces.append(
            dict(
                type="bar",
                x=[k.upper() for k in keys],
                y=[r["test_accuracy"] for r in runs],
                name=text(direction, lang),
                marker_color=PALETTE[i],
                customdata=[[r["dev_accuracy"], r["train_seconds"]] for r in runs],
                hovertemplate=f"{text('split_test', lang)} %{{y:.2%}} · {text('split_dev', lang)} "
                "%{customdata[0]:.2%} · %{customdata[1]:.0f} s<extra></extra>",
            )
        )
    return _figure(
        traces,
        text("title_cells", lang),
        barmode="group",
        yaxis=_accuracy_axis([r["test_accuracy"] for r in cells.values()], lang),
    )


def _runs_figure(runs, section, lang):
    """Test accuracy per pad size (its value on the bar) or per batch size (with seconds per
    epoch as a line, whose markers would sit on the bars' values: the value goes under the
    batch size on the axis instead)."""
    keys = sorted(runs, key=lambda k: (k == "packed", int(k) if k.isdigit() else 0))
    accuracy = [runs[k]["test_accuracy"] for k in keys]
    packed = text("packed", lang).replace(" (", "<br>(").replace("（", "<br>（")  # "packed<br>(ours)": a phone
    labels = [packed if k == "packed" else k for k in keys]
    bars = dict(
        type="bar",
        x=labels,
        y=accuracy,
        marker_color=PALETTE[0],
        name=text("axis_accuracy", lang),
        hovertemplate="%{x}" + text("colon", lang) + "%{y:.1%}<extra></extra>",
    )
    if section == "pad_size":
        return _figure(
            [dict(bars, text=[f"{a:.1%}" for a in accuracy], textposition="auto")],
            text("title_pad", lang),
            yaxis=_accuracy_axis(accuracy, lang),
            legend=dict(orientation="h", y=-0.2),
        )
    line = dict(
        type="scatter",
        x=labels,
        y=[runs[k]["seconds_per_epoch"] for k in keys],
        yaxis="y2",
        mode="lines+markers",
        name=text("axis_seconds_per_epoch", lang),
        marker_color=PALETTE[1],
    )
    return _figure(
        [bars, line],
        text("title_batch_size", lang),
        yaxis=_accuracy_axis(accuracy, lang),
        xaxis=dict(tickmode="array", tickvals=labels, ticktext=[f"{k}<br>{a:.1%}" for k, a in zip(labels, accuracy)]),
        yaxis2=dict(title=text("axis_seconds_per_epoch", lang), overlaying="y", side="right"),
        legend=dict(orientation="h", y=-0.25),
    )


def _gradients_figure(gradients, state, lang):
    traces = []
    for i, cell in enumerate(("rnn", "lstm")):
        for j, (length, norms) in enumerate(gradients.get(cell, {}).get(state, {}).items()):
            traces.append(
                dict(
                    type="scatter",
                    x=list(range(1, len(norms) + 1)),
                    y=norms,
                    mode="lines",
                    name=f"{cell.upper()} · {length}",
                    legendgroup=cell,
                    line=dict(color=PALETTE[i], dash=["solid", "dot", "dash", "dashdot"][j % 4]),
                )
            )
    tickvals, ticktext = log_ticks([v for t in traces for v in t["y"]])
    return _figure(
        traces,
        text("title_gradients", lang, state=text(f"state_{state}", lang)),
        height=380,
        xaxis_title=text("axis_position", lang),
        yaxis=dict(
            title=text("axis_gradient_norm", lang), type="log", tickmode="array", tickvals=tickvals, ticktext=ticktext
        ),
    )


def experiments_figures(results, lang="en"):
    """{"cells", "pad_size", "batch_size", "gradients_trained", "gradients_init"} figures
    from checkpoints/experiments.json (a section not yet run is left out)."""
    out = {}
    if results.get("cells"):
        out["cells"] = _cells_figure(results["cells"], lang)
    for section in ("pad_size", "batch_size"):
        if results.get(section):
            out[section] = _runs_figure(results[section], section, lang)
    gradients = results.get("vanishing_gradients", {})
    for state in ("trained", "init") if gradients else ():
        out[f"gradients_{state}"] = _gradients_figure(gradients, state, lang)
    return out
