"""Plotly figures for the "look deeper" views (attributions side by side, hidden units, the
map of the test split, slices, the experiments), built from plain numbers like
cls_core.app.figures, whose layout and colours they share. Fixed words are in DEEP_TEXTS, in
English and Simplified Chinese (Traditional converted with OpenCC, as cls_core.app.i18n does).
"""

import numpy as np
import plotly.graph_objects as go

from cls_core.app.figures import PALETTE, _char_axis, _figure
from .i18n import LANGUAGES, class_name, convert

DEEP_TEXTS = {
    "methods_title": ("How each method credits the characters (scaled to the largest |score|)",
                      "各方法对每个字的归因（按最大绝对值缩放）"),
    "integrated_gradients": ("integrated gradients", "积分梯度"),
    "attention": ("attention", "注意力"),
    "occlusion": ("occlusion", "遮挡"),
    "ngram": ("n-gram scores", "n-gram 得分"),
    "agreement_title": ("Do the methods agree? Mean Spearman rank correlation over {n} test headlines",
                        "各方法一致吗？{n} 条测试标题上的平均 Spearman 秩相关"),
    "spearman": ("Spearman ρ", "Spearman ρ"),
    "unit_track_title": ("Unit {unit}, layer {layer}, {direction}: activation along the headline",
                         "第 {layer} 层 {direction} 第 {unit} 号单元：沿标题的激活"),
    "forward": ("forward", "正向"),
    "backward": ("backward", "反向"),
    "activation": ("activation", "激活值"),
    "map_title": ("The test split as the classifier sees it ({method}); ✕ = mistake",
                  "分类器眼中的测试集（{method}）；✕ = 判错"),
    "mistakes": ("mistakes", "判错"),
    "true_topic": ("true", "真实"),
    "predicted_topic": ("predicted", "预测"),
    "slices_length_title": ("Accuracy by headline length (characters)", "按标题长度（字数）的准确率"),
    "slices_unknown_title": ("Accuracy by share of unknown characters", "按未知字比例的准确率"),
    "accuracy": ("accuracy", "准确率"),
    "headlines": ("headlines", "条标题"),
    "cells_title": ("Vanilla RNN vs GRU vs LSTM: test accuracy", "普通 RNN、GRU、LSTM：测试准确率"),
    "bidirectional": ("bidirectional", "双向"),
    "unidirectional": ("unidirectional", "单向"),
    "pad_title": ("Fixed pad size (padding fed to the network) vs full-length packing: test accuracy",
                  "固定填充长度（填充送入网络）与按全长打包：测试准确率"),
    "packed": ("packed (ours)", "打包（本项目）"),
    "batch_title": ("Batch size: test accuracy and seconds per epoch", "批大小：测试准确率与每轮秒数"),
    "seconds_per_epoch": ("seconds per epoch", "每轮秒数"),
    "gradients_title": ("Vanishing gradients? |d loss / d input| at each position ({state})",
                        "梯度消失？每个位置的 |d loss / d 输入|（{state}）"),
    "trained": ("trained", "训练后"),
    "init": ("at initialisation", "初始化时"),
    "position": ("position in the headline", "标题中的位置"),
    "gradient_norm": ("gradient norm", "梯度范数"),
}


def deep_text(key, lang="en", **fields):
    english, simplified = DEEP_TEXTS[key]
    lang = lang if lang in LANGUAGES else "en"
    return (english if lang == "en" else convert(simplified, lang)).format(**fields)


def methods_chart(chars, scores, lang="en"):
    """Grouped bars: each method's per-character scores scaled by its largest |score|."""
    traces, x = [], list(range(len(chars)))
    for i, (method, values) in enumerate(scores.items()):
        values = np.asarray(values, dtype=float)
        top = float(np.abs(values).max()) or 1.0
        traces.append(dict(type="bar", x=x, y=values / top, name=deep_text(method, lang),
                           marker_color=PALETTE[i % len(PALETTE)],
                           customdata=[[ch, float(v)] for ch, v in zip(chars, values)],
                           hovertemplate="%{customdata[0]}: %{customdata[1]:.4f}<extra></extra>"))
    return _figure(traces, deep_text("methods_title", lang), height=360, xaxis=_char_axis(chars), barmode="group",
                   legend=dict(orientation="h", y=-0.2))


def agreement_chart(summaries, lang="en"):
    """summaries: {model name: cached_agreement result}; a bar per (model, method pair)."""
    traces = []
    n = max((s["headlines"] for s in summaries.values()), default=0)
    for i, (model, summary) in enumerate(summaries.items()):
        names = list(summary["pairs"])
        labels = [" vs ".join(deep_text(m, lang) for m in name.split(" vs ")) for name in names]
        traces.append(dict(type="bar", x=[summary["pairs"][p]["mean"] for p in names], y=labels, orientation="h",
                           name=model, marker_color=PALETTE[i % len(PALETTE)],
                           customdata=[[summary["pairs"][p]["median"], summary["pairs"][p]["n"]] for p in names],
                           hovertemplate="mean %{x:.3f} · median %{customdata[0]:.3f} · n %{customdata[1]}"
                                         "<extra></extra>"))
    return _figure(traces, deep_text("agreement_title", lang, n=f"{n:,}"), height=360,
                   xaxis=dict(range=[-1, 1], title=deep_text("spearman", lang)), yaxis=dict(automargin=True),
                   legend=dict(orientation="h", y=-0.25))


def unit_track_chart(chars, values, layer, direction, unit, lang="en"):
    values = np.asarray(values, dtype=float)
    bars = dict(type="bar", x=list(range(len(chars))), y=values, customdata=list(chars),
                marker_color=np.where(values >= 0, PALETTE[1], PALETTE[3]),
                hovertemplate="%{customdata}: %{y:.3f}<extra></extra>")
    title = deep_text("unit_track_title", lang, unit=unit, layer=layer, direction=deep_text(direction, lang))
    return _figure([bars], title, xaxis=_char_axis(chars), yaxis=dict(title=deep_text("activation", lang), range=[-1, 1]))


def projection_scatter(points, method="tsne", lang="en"):
    """(figure, headline index of each point per trace): one trace per true topic, then the
    mistakes as ✕ marks on top; a point's customdata[0] is its headline index too."""
    coords, labels, predicted = points["coords"], points["labels"], points["predicted"]
    classes, texts = [str(c) for c in points["classes"]], points["texts"]
    traces, point_headlines = [], []
    hover = ("%{customdata[1]}<br>" + deep_text("true_topic", lang) + ": %{customdata[2]} · "
             + deep_text("predicted_topic", lang) + ": %{customdata[3]}<extra></extra>")

    def trace(index, **style):
        custom = [[int(i), str(texts[i]), class_name(classes[labels[i]], lang), class_name(classes[predicted[i]], lang)]
                  for i in index]
        traces.append(dict(type="scattergl", x=coords[index, 0], y=coords[index, 1], mode="markers", customdata=custom,
                           hovertemplate=hover, **style))
        point_headlines.append([int(i) for i in index])
    for c, name in enumerate(classes):
        trace(np.flatnonzero(labels == c), name=class_name(name, lang),
              marker=dict(size=4, opacity=0.6, color=(PALETTE + ["#5c6f82", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"])[c % 10]))
    trace(np.flatnonzero(labels != predicted), name=deep_text("mistakes", lang),
          marker=dict(size=6, symbol="x-thin", line=dict(width=1.5, color="black")))
    figure = _figure(traces, deep_text("map_title", lang, method="t-SNE" if method == "tsne" else "PCA"), height=620,
                     xaxis=dict(showticklabels=False, zeroline=False), yaxis=dict(showticklabels=False, zeroline=False),
                     legend=dict(itemsizing="constant"))
    return figure, point_headlines


def slices_chart(slices, which="length", lang="en"):
    """slices: {model name: accuracy_slices result}; grouped bars per bin."""
    traces = []
    for i, (model, result) in enumerate(slices.items()):
        rows = result[which]
        traces.append(dict(type="bar", x=[r["bin"] for r in rows], y=[r["accuracy"] for r in rows], name=model,
                           marker_color=PALETTE[i % len(PALETTE)], customdata=[r["headlines"] for r in rows],
                           hovertemplate="%{x}: %{y:.1%} (%{customdata} " + deep_text("headlines", lang)
                                         + ")<extra></extra>"))
    key = "slices_length_title" if which == "length" else "slices_unknown_title"
    return _figure(traces, deep_text(key, lang), height=340, barmode="group",
                   yaxis=dict(title=deep_text("accuracy", lang), tickformat=".0%"), legend=dict(orientation="h", y=-0.25))


def _accuracy_axis(values, lang):
    """An accuracy axis from a little below the lowest value shown, so differences are visible."""
    low = min((v for v in values if v is not None), default=0.5)
    return dict(title=deep_text("accuracy", lang), tickformat=".0%", range=[max(0.0, low - 0.05), 1.0])


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
                               name=deep_text(direction, lang), marker_color=PALETTE[i],
                               customdata=[[r["dev_accuracy"], r["train_seconds"]] for r in runs],
                               hovertemplate="test %{y:.2%} · dev %{customdata[0]:.2%} · %{customdata[1]:.0f} s"
                                             "<extra></extra>"))
        out["cells"] = _figure(traces, deep_text("cells_title", lang), barmode="group",
                               yaxis=_accuracy_axis([r["test_accuracy"] for r in cells.values()], lang))
    for section, title in (("pad_size", "pad_title"), ("batch_size", "batch_title")):
        runs = results.get(section, {})
        if not runs:
            continue
        keys = sorted(runs, key=lambda k: (k == "packed", int(k) if k.isdigit() else 0))
        labels = [deep_text("packed", lang) if k == "packed" else k for k in keys]
        traces = [dict(type="bar", x=labels, y=[runs[k]["test_accuracy"] for k in keys], marker_color=PALETTE[0],
                       name=deep_text("accuracy", lang),
                       text=[f"{runs[k]['test_accuracy']:.1%}" for k in keys], textposition="auto")]
        if section == "batch_size":
            traces.append(dict(type="scatter", x=labels, y=[runs[k]["seconds_per_epoch"] for k in keys], yaxis="y2",
                               mode="lines+markers", name=deep_text("seconds_per_epoch", lang),
                               marker_color=PALETTE[1]))
        out[section] = _figure(traces, deep_text(title, lang), yaxis=_accuracy_axis([runs[k]["test_accuracy"] for k in keys], lang),
                               yaxis2=dict(title=deep_text("seconds_per_epoch", lang), overlaying="y", side="right"),
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
            traces, deep_text("gradients_title", lang, state=deep_text(state, lang)), height=380,
            xaxis_title=deep_text("position", lang), yaxis=dict(title=deep_text("gradient_norm", lang), type="log"))
    return out
