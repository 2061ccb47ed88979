"""Plotly figures for the "look deeper" views (attributions side by side, hidden units, the
map of the test split, slices, the experiments), built from plain numbers like
cls_core.app.figures, whose layout and colours they share. Fixed words come from
cls_core.app.i18n in the language asked for.
"""

import numpy as np

from cls_core.app.figures import PALETTE, _char_axis, _figure, method_colour, model_colour
from cls_core.app.i18n import class_name, text
from cls_core.app.wording import method_label, pair_label


def methods_chart(chars, scores, lang="en"):
    """Grouped bars: each method's per-character scores scaled by its largest |score|."""
    traces, x = [], list(range(len(chars)))
    for method, values in scores.items():
        values = np.asarray(values, dtype=float)
        top = float(np.abs(values).max()) or 1.0
        traces.append(dict(type="bar", x=x, y=values / top, name=method_label(method, lang),
                           marker_color=method_colour(method),
                           customdata=[[ch, float(v)] for ch, v in zip(chars, values)],
                           hovertemplate="%{customdata[0]}: %{customdata[1]:.4f}<extra></extra>"))
    return _figure(traces, text("title_methods", lang), height=360, xaxis=_char_axis(chars), barmode="group",
                   legend=dict(orientation="h", y=-0.2))


def agreement_chart(summaries, lang="en"):
    """summaries: {model name: cached_agreement result}; a bar per (model, method pair)."""
    traces = []
    n = max((s["headlines"] for s in summaries.values()), default=0)
    for model, summary in summaries.items():
        names = list(summary["pairs"])
        labels = [pair_label(name, lang) for name in names]
        traces.append(dict(type="bar", x=[summary["pairs"][p]["mean"] for p in names], y=labels, orientation="h",
                           name=model, marker_color=model_colour(model),
                           customdata=[[summary["pairs"][p]["median"], summary["pairs"][p]["n"]] for p in names],
                           hovertemplate="mean %{x:.3f} · median %{customdata[0]:.3f} · n %{customdata[1]}"
                                         "<extra></extra>"))
    return _figure(traces, text("title_agreement", lang, n=f"{n:,}"), height=360,
                   xaxis=dict(range=[-1, 1], title=text("axis_spearman", lang)), yaxis=dict(automargin=True),
                   legend=dict(orientation="h", y=-0.25))


def unit_track_chart(chars, values, layer, direction, unit, lang="en"):
    values = np.asarray(values, dtype=float)
    bars = dict(type="bar", x=list(range(len(chars))), y=values, customdata=list(chars),
                marker_color=np.where(values >= 0, PALETTE[1], PALETTE[3]),
                hovertemplate="%{customdata}: %{y:.3f}<extra></extra>")
    title = text("title_unit_track", lang, unit=unit, layer=layer, direction=text(direction, lang))
    return _figure([bars], title, xaxis=_char_axis(chars), yaxis=dict(title=text("axis_activation", lang), range=[-1, 1]))


def projection_scatter(points, method="tsne", lang="en"):
    """One trace per true topic, then the mistakes as ✕ marks on top; a point's
    customdata[0] is its headline's number in the test split (what a click opens)."""
    coords, labels, predicted = points["coords"], points["labels"], points["predicted"]
    classes, texts = [str(c) for c in points["classes"]], points["texts"]
    traces = []
    hover = ("%{customdata[1]}<br>" + text("col_true", lang) + ": %{customdata[2]} · "
             + text("col_predicted", lang) + ": %{customdata[3]}<extra></extra>")

    def trace(index, **style):
        custom = [[int(i), str(texts[i]), class_name(classes[labels[i]], lang), class_name(classes[predicted[i]], lang)]
                  for i in index]
        traces.append(dict(type="scattergl", x=coords[index, 0], y=coords[index, 1], mode="markers", customdata=custom,
                           hovertemplate=hover, **style))
    for c, name in enumerate(classes):
        trace(np.flatnonzero(labels == c), name=class_name(name, lang),
              marker=dict(size=4, opacity=0.6, color=(PALETTE + ["#5c6f82", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"])[c % 10]))
    trace(np.flatnonzero(labels != predicted), name=text("legend_mistakes", lang),
          marker=dict(size=6, symbol="x-thin", line=dict(width=1.5, color="black")))
    return _figure(traces, text("title_map", lang, method="t-SNE" if method == "tsne" else "PCA"), height=620,
                   xaxis=dict(showticklabels=False, zeroline=False), yaxis=dict(showticklabels=False, zeroline=False),
                   legend=dict(itemsizing="constant"))


def slices_chart(slices, which="length", lang="en"):
    """slices: {model name: accuracy_slices result}; grouped bars per bin."""
    traces = []
    for model, result in slices.items():
        rows = result[which]
        traces.append(dict(type="bar", x=[r["bin"] for r in rows], y=[r["accuracy"] for r in rows], name=model,
                           marker_color=model_colour(model), customdata=[r["headlines"] for r in rows],
                           hovertemplate="%{x}: %{y:.1%} (%{customdata} " + text("headlines_n", lang)
                                         + ")<extra></extra>"))
    key = "title_slices_length" if which == "length" else "title_slices_unknown"
    return _figure(traces, text(key, lang), height=340, barmode="group",
                   yaxis=dict(title=text("axis_accuracy", lang), tickformat=".0%"), legend=dict(orientation="h", y=-0.25))


def _accuracy_axis(values, lang):
    """An accuracy axis from a little below the lowest value shown, so differences are visible."""
    low = min((v for v in values if v is not None), default=0.5)
    return dict(title=text("axis_accuracy", lang), tickformat=".0%", range=[max(0.0, low - 0.05), 1.0])


def experiments_figures(results, lang="en"):
    """{"cells", "pad_size", "batch_size", "gradients_trained", "gradients_init"} figures
    from checkpoints/experiments.json (a section not yet run is left out)."""
    out = {}
    cells = results.get("cells", {})
    if cells:
        traces = []
        for i, direction in enumerate(("bidirectional", "unidirectional")):
            keys = [k for k in ("rnn", "gru", "lstm") if f"{k}/{direction}" in cells]
            runs = [cells[f"{k}/{direction}"] for k in keys]
            traces.append(dict(type="bar", x=[k.upper() for k in keys], y=[r["test_accuracy"] for r in runs],
                               name=text(direction, lang), marker_color=PALETTE[i],
                               customdata=[[r["dev_accuracy"], r["train_seconds"]] for r in runs],
                               hovertemplate="test %{y:.2%} · dev %{customdata[0]:.2%} · %{customdata[1]:.0f} s"
                                             "<extra></extra>"))
        out["cells"] = _figure(traces, text("title_cells", lang), barmode="group",
                               yaxis=_accuracy_axis([r["test_accuracy"] for r in cells.values()], lang))
    for section, title in (("pad_size", "title_pad"), ("batch_size", "title_batch_size")):
        runs = results.get(section, {})
        if not runs:
            continue
        keys = sorted(runs, key=lambda k: (k == "packed", int(k) if k.isdigit() else 0))
        labels = [text("packed", lang) if k == "packed" else k for k in keys]
        traces = [dict(type="bar", x=labels, y=[runs[k]["test_accuracy"] for k in keys], marker_color=PALETTE[0],
                       name=text("axis_accuracy", lang),
                       text=[f"{runs[k]['test_accuracy']:.1%}" for k in keys], textposition="auto")]
        if section == "batch_size":
            traces.append(dict(type="scatter", x=labels, y=[runs[k]["seconds_per_epoch"] for k in keys], yaxis="y2",
                               mode="lines+markers", name=text("axis_seconds_per_epoch", lang),
                               marker_color=PALETTE[1]))
        out[section] = _figure(traces, text(title, lang), yaxis=_accuracy_axis([runs[k]["test_accuracy"] for k in keys], lang),
                               yaxis2=dict(title=text("axis_seconds_per_epoch", lang), overlaying="y", side="right"),
                               legend=dict(orientation="h", y=-0.2))
    gradients = results.get("vanishing_gradients", {})
    for state in ("trained", "init"):
        if not gradients:
            break
        traces = []
        for i, cell in enumerate(("rnn", "lstm")):
            for j, (length, norms) in enumerate(gradients.get(cell, {}).get(state, {}).items()):
                traces.append(dict(type="scatter", x=list(range(1, len(norms) + 1)), y=norms, mode="lines",
                                   name=f"{cell.upper()} · {length}", legendgroup=cell,
                                   line=dict(color=PALETTE[i], dash=["solid", "dot", "dash", "dashdot"][j % 4])))
        out[f"gradients_{state}"] = _figure(
            traces, text("title_gradients", lang, state=text(f"state_{state}", lang)), height=380,
            xaxis_title=text("axis_position", lang), yaxis=dict(title=text("axis_gradient_norm", lang), type="log"))
    return out
