"""Plotly figures and display helpers for the app, built from plain numbers.

Nothing here touches a model: each function turns the output of explain/evaluate into a
figure, so the figures can be tested by reading their data back.
"""

import numpy as np
import plotly.graph_objects as go

from .data import CLASS_GLOSS

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#2a7ab9", "#c8553d", "#3b9c6e", "#8a63b8", "#d89a2b"]


def display_name(name):
    """'sports' -> '体育 sports' (names outside THUCNews pass through)."""
    return f"{CLASS_GLOSS[name]} {name}" if name in CLASS_GLOSS else name


def _layout(fig, title, height=320, **kwargs):
    fig.update_layout(title=title, height=height, font_family=FONT, margin=dict(l=60, r=20, t=50, b=40),
                      template="plotly_white", **kwargs)
    return fig


def _char_axis(chars):
    """Tick positions and labels for one axis tick per character (duplicates stay apart)."""
    return dict(tickmode="array", tickvals=list(range(len(chars))), ticktext=list(chars), tickangle=0)


def probability_bars(classes, probs, top_k=5, title="Top classes"):
    order = np.argsort(-np.asarray(probs))[:top_k][::-1]
    fig = go.Figure(go.Bar(x=[float(probs[i]) for i in order], y=[display_name(classes[i]) for i in order],
                           orientation="h", text=[f"{probs[i]:.1%}" for i in order], textposition="auto"))
    return _layout(fig, title, height=60 + 36 * len(order), xaxis=dict(range=[0, 1], tickformat=".0%"))


def char_bars(chars, values, title, value_name="weight", signed=False):
    values = np.asarray(values, dtype=float)
    colors = np.where(values >= 0, "#2a7ab9", "#c8553d") if signed else "#2a7ab9"
    fig = go.Figure(go.Bar(x=list(range(len(chars))), y=values, marker_color=colors,
                           customdata=list(chars),
                           hovertemplate="%{customdata}: %{y:.4f}<extra>" + value_name + "</extra>"))
    return _layout(fig, title, xaxis=_char_axis(chars), yaxis_title=value_name)


def hidden_heatmap(chars, hidden, title):
    """hidden [T, H]: x = characters, y = units."""
    hidden = np.asarray(hidden)
    limit = float(np.abs(hidden).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=hidden.T, x=list(range(len(chars))), colorscale="RdBu", zmid=0,
                               zmin=-limit, zmax=limit, customdata=np.tile(np.array(chars), (hidden.shape[1], 1)),
                               hovertemplate="%{customdata} · unit %{y}: %{z:.3f}<extra></extra>"))
    return _layout(fig, title, height=420, xaxis=_char_axis(chars), yaxis_title="hidden unit")


def reading_chart(chars, probs, classes, top_k=4):
    """Lines of class probability after each character, for the classes that ever lead."""
    probs = np.asarray(probs)
    shown = np.argsort(-probs.max(axis=0))[:top_k]
    fig = go.Figure()
    for c in shown:
        fig.add_trace(go.Scatter(x=list(range(len(chars))), y=probs[:, c], mode="lines+markers",
                                 name=display_name(classes[c]), customdata=list(chars),
                                 hovertemplate="after %{customdata}: %{y:.1%}<extra></extra>"))
    return _layout(fig, "Reading the headline: the answer after each character", height=360,
                   xaxis=_char_axis(chars), yaxis=dict(range=[0, 1], tickformat=".0%"))


def confusion_heatmap(confusion, classes, normalize=False, title="Confusion matrix"):
    counts = np.asarray(confusion, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    names = [display_name(c) for c in classes]
    z = shares if normalize else counts
    text = [[f"{shares[i, j]:.0%}" if normalize else f"{int(counts[i, j])}" for j in range(len(classes))]
            for i in range(len(classes))]
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, colorscale="Blues", text=text, texttemplate="%{text}",
        customdata=np.dstack([counts, shares]),
        hovertemplate="true %{y}<br>predicted %{x}<br>%{customdata[0]:.0f} headlines "
                      "(%{customdata[1]:.1%} of the row)<extra></extra>"))
    return _layout(fig, title, height=560, xaxis_title="predicted", yaxis_title="true",
                   yaxis=dict(autorange="reversed"))


def reliability_diagram(bins, title="Reliability: is the confidence honest?"):
    used = [b for b in bins if b["count"]]
    centers = [(b["lower"] + b["upper"]) / 2 for b in used]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=centers, y=[b["accuracy"] for b in used], width=1 / len(bins) * 0.9,
                         name="accuracy in bin", customdata=[[b["count"], b["confidence"]] for b in used],
                         hovertemplate="confidence %{customdata[1]:.1%}<br>accuracy %{y:.1%}<br>"
                                       "%{customdata[0]} headlines<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                             line=dict(dash="dash", color="gray")))
    return _layout(fig, title, height=380, xaxis=dict(title="confidence", range=[0, 1], tickformat=".0%"),
                   yaxis=dict(title="accuracy", range=[0, 1], tickformat=".0%"))


def training_curves(records, title):
    """From a training log (JSON lines): train loss per step, dev loss and accuracy per epoch."""
    steps = [r for r in records if r["type"] == "step"]
    epochs = [r for r in records if r["type"] == "epoch"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r["step"] for r in steps], y=[r["train_loss"] for r in steps],
                             name="train loss (running, per epoch)", mode="lines"))
    fig.add_trace(go.Scatter(x=[r["step"] for r in epochs], y=[r["dev_loss"] for r in epochs],
                             name="dev loss", mode="lines+markers"))
    fig.add_trace(go.Scatter(x=[r["step"] for r in epochs], y=[r["dev_acc"] for r in epochs],
                             name="dev accuracy", mode="lines+markers", yaxis="y2"))
    return _layout(fig, title, height=360, xaxis_title="training step", yaxis_title="loss",
                   legend=dict(orientation="h", y=-0.3),
                   yaxis2=dict(title="dev accuracy", overlaying="y", side="right", tickformat=".0%"))


def accuracy_bars(rows, title="Test accuracy"):
    """rows: [(name, accuracy, note, ours)]; our models blue, published figures gray."""
    fig = go.Figure(go.Bar(x=[r[1] for r in rows], y=[r[0] for r in rows], orientation="h",
                           text=[f"{r[1]:.2%}" for r in rows], textposition="auto",
                           marker_color=["#2a7ab9" if r[3] else "#9aa5b1" for r in rows],
                           hovertext=[r[2] for r in rows]))
    low = min(r[1] for r in rows)
    return _layout(fig, title, height=80 + 34 * len(rows),
                   xaxis=dict(range=[max(0.0, low - 0.05), 1.0], tickformat=".0%"))


def highlight(chars, scores):
    """(character, score in [-1, 1]) pairs for gr.HighlightedText; scaled by the largest |score|."""
    scores = np.asarray(scores, dtype=float)
    top = float(np.abs(scores).max()) if len(scores) else 0.0
    scaled = scores / top if top > 0 else scores
    return [("␣" if ch.isspace() else ch, round(float(s), 3)) for ch, s in zip(chars, scaled)]


def coverage_chart(curves, title="Answer only when confident: accuracy against coverage"):
    """curves: {model name: (coverage rows, the chosen threshold's row or None)} from
    cls_core.unsure. Each model's line, and its chosen threshold as a marked point."""
    fig = go.Figure()
    for i, (name, (rows, chosen)) in enumerate(curves.items()):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=[r["coverage"] for r in rows], y=[r["accuracy"] for r in rows], mode="lines",
                                 name=name, line=dict(color=color), customdata=[r["threshold"] for r in rows],
                                 hovertemplate="answers %{x:.0%} · accuracy %{y:.1%} · threshold %{customdata:.0%}"
                                               "<extra></extra>"))
        if chosen:
            fig.add_trace(go.Scatter(x=[chosen["coverage"]], y=[chosen["accuracy"]], mode="markers+text",
                                     marker=dict(size=11, color=color, symbol="diamond"), showlegend=False,
                                     text=[f"{chosen['threshold']:.0%}"], textposition="bottom right",
                                     hovertemplate=f"{name}: chosen threshold {chosen['threshold']:.0%}<br>"
                                                   "answers %{x:.1%} · accuracy %{y:.2%}<extra></extra>"))
    return _layout(fig, title, height=380, legend=dict(orientation="h", y=-0.25),
                   xaxis=dict(title="share of headlines answered (coverage)", tickformat=".0%", autorange="reversed"),
                   yaxis=dict(title="accuracy of the answered", tickformat=".0%"))
