"""Plotly figures and display helpers for the app, built from plain numbers.

Nothing here touches a model: each function turns the output of explain/evaluate into a
figure, so the figures can be tested by reading their data back. Fixed words (axes, legend
entries) come from cls_core.app.i18n in the language asked for.

One colour meaning everywhere, the same as Gradio's highlighted text: TOWARD (red) pushes
toward the predicted class or draws attention, AWAY (violet) pushes away from it.
"""

import math
import unicodedata
import zlib

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .i18n import LANGUAGES, class_name, text
from .wording import ENSEMBLE, model_label

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#2a7ab9", "#c8553d", "#3b9c6e", "#8a63b8", "#d89a2b"]
TOWARD, AWAY = "rgb(239, 68, 60)", "rgb(128, 90, 213)"  # gr.HighlightedText's colours for + and -
BAR_WIDTH = 0.8  # of a character's slot
# A model and an attribution method keep their colour in every chart, whatever else is shown.
MODEL_COLOURS = {
    "BiLSTM-attention": PALETTE[0],
    "TextCNN": PALETTE[2],
    "Linear (TF-IDF + SVM)": PALETTE[4],
    ENSEMBLE: "#5c6f82",
}
METHOD_COLOURS = {
    "integrated_gradients": PALETTE[0],
    "attention": PALETTE[1],
    "occlusion": PALETTE[2],
    "ngram": PALETTE[4],
}
OTHER_COLOURS = ["#8a63b8", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]  # for names not listed: by name
# THUCNews's ten topics, one colour each in every chart (the map, the reading lines): ten hues far
# apart (CIE Lab distance over 25, drawn full or at the map's opacity on white), none black (the
# map's mistakes are black ✕). Topics of a data set of your own take them in order.
TOPIC_COLOURS = {
    "finance": "#0067a5",  # blue
    "realty": "#654522",  # dark brown
    "stocks": "#be0032",  # crimson
    "education": "#f6a600",  # amber
    "science": "#17becf",  # cyan
    "society": "#8db600",  # lime
    "politics": "#aa4499",  # magenta
    "sports": "#117733",  # green
    "game": "#c5b0d5",  # lavender
    "entertainment": "#f99379",  # salmon
}

# Every figure of the app is drawn on plotly's white template. As the default, plotly puts it
# into each new figure without validating it; named per figure (update_layout(template=...))
# it is deep-copied and validated every time, for each of the six figures of a look inside
# (python -m cls_core.bench --deep times one).
pio.templates.default = "plotly_white"
# ...and every figure states its background and ink itself (in _figure), so it looks the same
# whatever template is the default when it is drawn. The page around it is kept light (the
# app forces Gradio's light mode): a white figure in a dark page would be a white box.
BACKGROUND, INK = "white", "#2a3f5f"  # plotly_white's paper and font colour
# On a phone (390 px) a figure is about 370 px wide: a title of more than ~20 Chinese characters
# (40 columns, a Chinese character two) at 15 px is cut, so longer ones wrap. Plotly's toolbar
# (the mode bar, ~30 px high) sits at the top right, so titles start below it and legends go
# below the plot.
TITLE_COLUMNS, TITLE_SIZE, TITLE_LINE, MODEBAR = 40, 14, 19, 30
# An upright axis title (14 px) takes about 7 px a column; the x axis's labels and a legend's
# row take about LEGEND_ROW px of a figure's height besides its margins. Names beside the bars
# of a horizontal bar chart wrap at LABEL_COLUMNS: on a phone, longer ones left the bars no room.
AXIS_COLUMN, LEGEND_ROW, LABEL_COLUMNS = 7, 60, 24
LEGEND_COLUMNS = 40  # a legend entry's text on a phone (12 px: about 6 px a column)
# A legend at the foot of the figure, below whatever the x axis's labels and title take: placed
# below the plot, it met the labels of the bars per topic (turned on a phone) and the coverage
# chart's axis title.
BOTTOM_LEGEND = dict(orientation="h", yref="container", y=0, yanchor="bottom")
BREAK_AFTER, BREAK_BEFORE = set("：:，,；;、）)?？"), set("（(")  # where a title best breaks


def _fixed_colour(table, name):
    return table.get(name) or OTHER_COLOURS[zlib.crc32(name.encode("utf-8")) % len(OTHER_COLOURS)]


def model_colour(name):
    """A model's colour, by its name or the name the page gives it in any language."""
    labels = {model_label(model, lang): model for model in MODEL_COLOURS for lang in LANGUAGES}
    return _fixed_colour(MODEL_COLOURS, labels.get(name, name))


def method_colour(method):
    """An attribution method's colour ("attention", "integrated_gradients", ...)."""
    return _fixed_colour(METHOD_COLOURS, method)


def topic_colours(classes):
    """A colour for each class name of classes (THUCNews's names, "sports"): a THUCNews topic its
    own colour wherever it is drawn; other names the colours left, in order."""
    spare = [c for name, c in TOPIC_COLOURS.items() if name not in classes]
    spare = spare or list(TOPIC_COLOURS.values())
    out, k = [], 0
    for name in classes:
        if str(name) in TOPIC_COLOURS:
            out.append(TOPIC_COLOURS[str(name)])
        else:
            out.append(spare[k % len(spare)])
            k += 1
    return out


def _columns(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _breaks(title):
    """Positions a title may break before: after a space, after a separator, between Chinese
    characters (not before closing punctuation nor after an opening one)."""
    wide = [unicodedata.east_asian_width(ch) in "WF" for ch in title]
    for i in range(1, len(title)):
        before, ch = title[i - 1], title[i]
        thousands = before == "," and ch.isdigit()  # "1,000" is one number
        if (
            before == " "
            or (before in BREAK_AFTER and not thousands)
            or ((wide[i - 1] or wide[i]) and ch not in BREAK_AFTER | set("。！”’ ") and before not in "（(“‘")
        ):
            yield i


def wrap_title(title, columns=TITLE_COLUMNS):
    """title in lines of at most `columns` columns joined by <br>: each line ends at the last
    separator (colon, comma, before a parenthesis) in its second half, else at the last place
    it can."""
    lines = []
    while _columns(title) > columns:
        fits = [i for i in _breaks(title) if _columns(title[:i]) <= columns] or [len(title) // 2]
        at_separator = [
            i
            for i in fits
            if (title[i - 1] in BREAK_AFTER or title[i].lstrip() in BREAK_BEFORE) and _columns(title[:i]) * 2 >= columns
        ]
        cut = (at_separator or fits)[-1]
        lines.append(title[:cut].rstrip())
        title = title[cut:].lstrip()
    return "<br>".join(lines + [title])


def _title(title):
    """(plotly title, its lines): left-aligned below the mode bar."""
    wrapped = wrap_title(title or "")
    return dict(
        text=wrapped,
        x=0,
        xref="container",
        xanchor="left",
        y=1,
        yref="container",
        yanchor="top",
        pad=dict(l=12, t=MODEBAR),
        font=dict(size=TITLE_SIZE),
    ), wrapped.count("<br>") + 1


def _figure(traces, title, height=320, **layout):
    """A figure from its traces (plain dicts: {"type": "bar", ...}) and layout in one
    constructor call, where plotly validates each part once. go.Bar objects are validated
    again when the figure copies them, and add_trace and update_layout on a built figure
    cost more still; a look inside draws six (python -m cls_core.bench --deep).

    The one layout every figure of the app shares: white background, one font and ink; the
    title wrapped and below the mode bar, the legend in rows below the plot; no width of its
    own (it is drawn at its card's width, whatever the screen); the titles of the upright axes
    wrapped to the plot's height, so that they never run into the figure's title."""
    title, lines = _title(title)
    top = MODEBAR + TITLE_LINE * lines + 12
    layout["margin"] = {**dict(l=60, r=20, b=40), **layout.get("margin", {}), "t": top}
    layout["legend"] = {**dict(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top"), **layout.get("legend", {})}
    height += TITLE_LINE * (lines - 1)
    if "yaxis_title" in layout:
        layout["yaxis"] = {**layout.get("yaxis", {}), "title": layout.pop("yaxis_title")}
    # the plot's height: the figure's, less the title, the x axis's labels and a row of legend
    columns = max(16, int((height - top - layout["margin"]["b"] - LEGEND_ROW) / AXIS_COLUMN))
    for key in ("yaxis", "yaxis2"):
        if key in layout:
            layout[key] = _upright_axis(layout[key], columns)
    return go.Figure(
        data=traces,
        layout=dict(
            title=title,
            height=height,
            autosize=True,
            paper_bgcolor=BACKGROUND,
            plot_bgcolor=BACKGROUND,
            font=dict(family=FONT, color=INK),
            **layout,
        ),
    )


def _upright_axis(axis, columns):
    """A y axis with its title wrapped to `columns` (it runs along the plot's height), making
    room for the title's lines and its labels (automargin)."""
    axis = dict(axis)
    title = axis.get("title")
    if title:
        title = dict(text=title) if isinstance(title, str) else dict(title)
        title["text"] = wrap_title(title.get("text") or "", columns)
        axis["title"] = title
    axis.setdefault("automargin", True)
    return axis


def _char_axis(chars):
    """The headline as an axis: one slot per character, in order (x is the character's place,
    so a repeated character keeps a slot of its own), labelled with the character; exactly the
    headline, from half a slot before the first character to half a slot after the last,
    whatever bars are drawn (a few violet bars far apart made plotly's bars several characters
    wide and ran the axis past the headline).

    A category axis: plotly labels every slot where there is room (about 14 px a label) and
    every k-th where there is not (a phone, a long headline), upright, so the labels never run
    together or turn into a block."""
    n = len(chars)
    return dict(
        type="category",
        categoryorder="array",
        categoryarray=list(range(n)),
        labelalias={str(i): "␣" if ch.isspace() else ch for i, ch in enumerate(chars)},
        range=[-0.5, n - 0.5],
        tickangle=0,
        automargin=True,
    )


def char_bars(chars, values, title, value_name="weight", cls=None, lang="en", reference=None):
    """A bar per character. With cls (signed values): red bars push toward cls, violet ones
    away, each named in the legend. Without: red bars, and `reference` as a dashed line
    across the headline (attention's even share 1/n), named in the legend. Every bar is one
    character's slot wide (BAR_WIDTH), however far apart the bars of one colour are."""
    values = np.asarray(values, dtype=float)
    x = np.arange(len(chars))
    traces = []
    hover = "%{customdata}" + text("colon", lang) + "%{y:.4f}<extra></extra>"
    if cls is not None:
        for keep, colour, key in ((values >= 0, TOWARD, "toward"), (values < 0, AWAY, "away")):
            traces.append(
                dict(
                    type="bar",
                    x=x[keep],
                    y=values[keep],
                    width=BAR_WIDTH,
                    marker_color=colour,
                    name=text(key, lang, cls=cls),
                    customdata=[chars[i] for i in x[keep]],
                    hovertemplate=hover,
                )
            )
    else:
        traces.append(
            dict(
                type="bar",
                x=x,
                y=values,
                width=BAR_WIDTH,
                marker_color=TOWARD,
                name=value_name,
                customdata=list(chars),
                hovertemplate=hover,
            )
        )
    shapes = []
    if reference is not None:  # a shape, not a trace: a trace's x would be a slot of the character axis
        shapes.append(
            dict(
                type="line",
                xref="paper",
                x0=0,
                x1=1,
                y0=reference,
                y1=reference,
                line=dict(dash="dash", color="gray"),
                name=text("uniform_share", lang),
                showlegend=True,
            )
        )
    # exponentformat "none": 0.0005, not plotly's SI "500µ", which reads as nothing to a visitor
    return _figure(
        traces,
        title,
        xaxis=_char_axis(chars),
        yaxis=dict(title=dict(text=value_name), exponentformat="none"),
        barmode="overlay",
        shapes=shapes,
        showlegend=True,
        legend=dict(orientation="h", y=-0.2),
    )


def hidden_heatmap(chars, hidden, title, lang="en"):
    """hidden [T, H]: x = characters, y = units."""
    hidden = np.asarray(hidden)
    limit = float(np.abs(hidden).max()) or 1.0
    heatmap = dict(
        type="heatmap",
        z=hidden.T,
        x=list(range(len(chars))),
        colorscale="RdBu",
        zmid=0,
        zmin=-limit,
        zmax=limit,
        customdata=np.tile(np.array(chars), (hidden.shape[1], 1)),
        hovertemplate="%{customdata} · %{y}" + text("colon", lang) + "%{z:.3f}<extra></extra>",
    )
    return _figure([heatmap], title, height=420, xaxis=_char_axis(chars), yaxis_title=text("axis_hidden_unit", lang))


def reading_chart(chars, probs, classes, lang="en", top_k=4):
    """Lines of class probability after each character, for the classes that ever lead."""
    probs = np.asarray(probs)
    shown = np.argsort(-probs.max(axis=0))[:top_k]
    colours = topic_colours(classes)
    traces = [
        dict(
            type="scatter",
            x=list(range(len(chars))),
            y=probs[:, c],
            mode="lines+markers",
            name=class_name(classes[c], lang),
            line=dict(color=colours[c]),
            customdata=list(chars),
            hovertemplate=text("after_char", lang) + " %{customdata}" + text("colon", lang) + "%{y:.1%}<extra></extra>",
        )
        for c in shown
    ]
    return _figure(
        traces,
        text("title_reading", lang),
        height=360,
        xaxis=_char_axis(chars),
        yaxis=dict(range=[0, 1], tickformat=".0%"),
        legend=dict(orientation="h", y=-0.2),
    )


def heat_css(share):
    """CSS for a confusion-table cell holding `share` of its row: white to deep blue."""
    if not share:
        return ""
    ink = "color: white; " if share > 0.55 else ""
    return f"{ink}background-color: rgba(42, 122, 185, {0.08 + 0.92 * share:.3f})"


def reliability_diagram(bins, lang="en"):
    used = [b for b in bins if b["count"]]
    centers = [(b["lower"] + b["upper"]) / 2 for b in used]
    traces = [
        dict(
            type="bar",
            x=centers,
            y=[b["accuracy"] for b in used],
            width=1 / len(bins) * 0.9,
            name=text("reliability_bar", lang),
            customdata=[[b["count"], b["confidence"]] for b in used],
            hovertemplate=f"{text('axis_confidence', lang)} %{{customdata[1]:.1%}}<br>"
            f"{text('axis_accuracy', lang)} %{{y:.1%}}<br>"
            f"%{{customdata[0]}} {text('headlines_n', lang)}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=text("perfect_calibration", lang),
            line=dict(dash="dash", color="gray"),
        ),
    ]
    return _figure(
        traces,
        text("title_reliability", lang),
        height=380,
        xaxis=dict(title=text("axis_confidence", lang), range=[0, 1], tickformat=".0%"),
        yaxis=dict(title=text("axis_accuracy", lang), range=[0, 1], tickformat=".0%"),
        legend=dict(orientation="h", y=-0.25),
    )


def training_curves(train, epochs, title, lang="en"):
    """train = (steps, losses, legend name); epochs = the log's epoch records (dev loss and
    accuracy at their step)."""
    steps, losses, name = train
    traces = [
        dict(type="scatter", x=list(steps), y=list(losses), name=name, mode="lines"),
        dict(
            type="scatter",
            x=[r["step"] for r in epochs],
            y=[r["dev_loss"] for r in epochs],
            name=text("dev_loss", lang),
            mode="lines+markers",
        ),
        dict(
            type="scatter",
            x=[r["step"] for r in epochs],
            y=[r["dev_acc"] for r in epochs],
            name=text("dev_accuracy", lang),
            mode="lines+markers",
            yaxis="y2",
        ),
    ]
    return _figure(
        traces,
        title,
        height=360,
        xaxis_title=text("axis_step", lang),
        yaxis_title=text("axis_loss", lang),
        legend=dict(orientation="h", y=-0.3),
        showlegend=True,  # named in the first epoch too
        yaxis2=dict(
            title=text("dev_accuracy", lang),
            overlaying="y",
            side="right",
            tickformat=".0%",
            **accuracy_axis([r["dev_acc"] for r in epochs]),
        ),
    )


def accuracy_axis(accuracies, grain=10):
    """An accuracy axis's range and tick step: never below 0 % or far above 100 % (a flat line
    is not drawn between -50 % and 100 %), and whole-percent ticks that each read differently
    (not 98 %, 98 %, 99 %, 99 %)."""
    shown = [a for a in accuracies if a is not None]
    if not shown:
        return dict(range=[0, 1.02], dtick=0.2)
    low = max(0.0, math.floor(min(shown) * grain - 0.5) / grain)  # starts on a 1/grain below the lowest
    span = 1 - low
    step = 0.01 if span <= 0.05 else 0.02 if span <= 0.1 else 0.05 if span <= 0.3 else 0.1 if span <= 0.6 else 0.2
    return dict(range=[low, 1 + max(span * 0.03, 0.004)], dtick=step)  # a line at 100 % drawn whole


def accuracy_bars(rows, title, lang="en"):
    """rows: [(name, accuracy, note, ours)]; our models blue, published figures gray. The
    axis spans the figures shown (a point either side), so differences are visible, and its
    title says where it starts: not at 0."""
    bars = dict(
        type="bar",
        x=[r[1] for r in rows],
        y=[wrap_title(r[0], LABEL_COLUMNS) for r in rows],  # on a phone a long name left the bars no room
        orientation="h",
        text=[f"{r[1]:.2%}" for r in rows],
        textposition="inside",
        marker_color=["#2a7ab9" if r[3] else "#9aa5b1" for r in rows],
        hovertext=[r[2] for r in rows],
    )
    low, high = min(r[1] for r in rows), max(r[1] for r in rows)
    start = math.floor(low * 100 - 1) / 100
    return _figure(
        [bars],
        title,
        height=100 + 34 * len(rows),
        margin=dict(l=10, r=20, b=50),
        xaxis=dict(
            range=[start, math.ceil(high * 100 + 0.5) / 100],
            automargin=True,
            title=wrap_title(text("axis_accuracy_from", lang, low=start), LABEL_COLUMNS),  # centred on the bars
            tickformat=".0%",
            dtick=0.01,
        ),  # whole percents: no label twice
        yaxis=dict(automargin=True),
    )


def highlight(chars, scores):
    """(character, score in [-1, 1]) pairs for gr.HighlightedText; scaled by the largest |score|."""
    scores = np.asarray(scores, dtype=float)
    top = float(np.abs(scores).max()) if len(scores) else 0.0
    scaled = scores / top if top > 0 else scores
    return [("␣" if ch.isspace() else ch, round(float(s), 3)) for ch, s in zip(chars, scaled)]


def _legend_name(name, note):
    """ "name · note", or name and note on two lines where one would be wider than a phone has
    room for ("Ensemble (average of the models) · chosen threshold 53%" was cut at its edge)."""
    one_line = f"{name} · {note}"
    return one_line if _columns(one_line) <= LEGEND_COLUMNS else f"{name}<br>{note}"


def coverage_chart(curves, lang="en"):
    """curves: {model name: (coverage rows, the chosen threshold's row or None)} from
    cls_core.models.unsure. Each model's line, and its chosen threshold as a marked point;
    the threshold's value is in the legend ("TextCNN · chosen threshold 63%") and the hover,
    not written beside the point, where the labels of several models fell on each other."""
    traces = []
    for name, (rows, chosen) in curves.items():
        color = model_colour(name)
        threshold = f"{text('chosen_threshold', lang)} {chosen['threshold']:.0%}" if chosen else ""
        traces.append(
            dict(
                type="scatter",
                x=[r["coverage"] for r in rows],
                y=[r["accuracy"] for r in rows],
                mode="lines",
                name=_legend_name(name, threshold) if chosen else name,
                legendgroup=name,
                line=dict(color=color),
                customdata=[r["threshold"] for r in rows],
                hovertemplate="%{x:.0%} · %{y:.1%} · %{customdata:.0%}<extra></extra>",
            )
        )
        if chosen:
            traces.append(
                dict(
                    type="scatter",
                    x=[chosen["coverage"]],
                    y=[chosen["accuracy"]],
                    mode="markers",
                    marker=dict(size=11, color=color, symbol="diamond"),
                    showlegend=False,
                    legendgroup=name,
                    hovertemplate=f"{name} · {threshold}<br>%{{x:.1%}} · %{{y:.2%}}<extra></extra>",
                )
            )
    return _figure(
        traces,
        text("title_coverage", lang),
        height=420,
        legend=BOTTOM_LEGEND,  # a row per model, below the x axis's title
        xaxis=dict(title=text("axis_coverage", lang), tickformat=".0%", autorange="reversed"),
        yaxis=dict(
            title=text("axis_answered_accuracy", lang),
            tickformat=".0%",
            **accuracy_axis([r["accuracy"] for rows, _ in curves.values() for r in rows], grain=50),
        ),
    )


def per_class_bars(scores, classes, title, value_name, lang="en"):
    """scores: {model name: one value per class}; a group of bars per class, a colour per
    model (its colour everywhere)."""
    names = [class_name(c, lang) for c in classes]
    traces = [
        dict(
            type="bar",
            x=names,
            y=list(values),
            name=name,
            marker_color=model_colour(name),
            hovertemplate="%{x}" + text("colon", lang) + "%{y:.1%}<extra>" + name + "</extra>",
        )
        for name, values in scores.items()
    ]
    low = min(min(v) for v in scores.values())
    return _figure(
        traces,
        title,
        height=420,
        barmode="group",
        legend=BOTTOM_LEGEND,
        yaxis=dict(title=value_name, tickformat=".0%", range=[math.floor(low * 20) / 20, 1]),
    )


def confusion_heatmap(confusion, classes, title, axis_true, axis_predicted, lang="en"):
    """The confusion matrix as a heatmap of each true class's shares (rows: true classes,
    top to bottom in class order; columns: answers), the count in the hover."""
    counts = np.asarray(confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    names = [class_name(c, lang) for c in classes]
    heatmap = dict(
        type="heatmap",
        z=shares,
        x=names,
        y=names,
        colorscale="Blues",
        zmin=0,
        zmax=1,
        text=[[f"{s:.0%}" if s >= 0.01 else "" for s in row] for row in shares],
        texttemplate="%{text}",
        customdata=counts.astype(int),
        colorbar=dict(tickformat=".0%"),
        hovertemplate=f"{axis_true} %{{y}} → {axis_predicted} %{{x}}{text('colon', lang)}"
        "%{z:.1%} (%{customdata})<extra></extra>",
    )
    return _figure(
        [heatmap],
        title,
        height=480,
        xaxis=dict(title=axis_predicted, automargin=True),
        yaxis=dict(title=axis_true, autorange="reversed", automargin=True),
    )


def variant_bars(rows, variants, title, lang="en"):
    """rows: {model name: {variant: accuracy}}; variants: [(key, label)] in order. A group
    of bars per variant of the input, a colour per model; the axis starts near the lowest."""
    traces = [
        dict(
            type="bar",
            x=[wrap_title(label, LABEL_COLUMNS // 2) for _, label in variants],
            y=[row.get(k) for k, _ in variants],
            name=name,
            marker_color=model_colour(name),
            hovertemplate="%{x}" + text("colon", lang) + "%{y:.2%}<extra>" + name + "</extra>",
        )
        for name, row in rows.items()
    ]
    low = min(v for row in rows.values() for v in row.values() if v is not None)
    return _figure(
        traces,
        title,
        height=420,
        barmode="group",
        legend=BOTTOM_LEGEND,
        yaxis=dict(title=text("axis_accuracy", lang), tickformat=".0%", range=[math.floor(low * 20) / 20, 1]),
    )
