"""Inside the model: for one headline and one model, what it looks at (attention, winning
n-grams or exact n-gram scores), what changes its answer (occlusion), how the answer forms
character by character, and for the BiLSTM its hidden states. `look_inside` adds the look
deeper (cls_core.app.views.deeper) in one go, as the tab shows it."""

from concurrent.futures import wait

import numpy as np

from cls_core.app import figures
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.views.deeper import deeper
from cls_core.app.wording import UserError, attention_note, markdown_literal, model_label
from cls_core.explain import attribution, inspection


def inside(demo, headline, name, layer=1, direction="forward", lang="en"):
    """{"text", "notice", "class", "probability", "weights", "weights_label", "weights_plot",
    "occlusion", "occlusion_plot", "reading_plot", "hidden_plot", "norm_plot", "table",
    "table_headers", "windows", "attention_note", "method_scores"} for one headline and model:
    the values the Inside tab shows (the look deeper aside)."""
    with demo.registry.lock(name).quick():
        return _inside(demo, headline, name, layer, direction, lang)


def _inside(demo, headline, name, layer, direction, lang):
    headline, notice = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    if predictor.kind == "ensemble":
        raise UserError("error_pick_one")

    def remember(what, compute):  # a redraw (another language, layer) runs no model again
        return demo.recent.get((what, (name, predictor.sha256), headline), compute)

    occluded = remember("occlusion", lambda: inspection.occlusion(predictor, headline))
    c, chars = occluded["class_index"], occluded["chars"]
    shown = class_name(predictor.classes[c], lang)
    out = {
        "text": headline,
        "notice": notice,
        "read_as": predictor.read_as(headline),
        "class": predictor.classes[c],
        "probability": occluded["probability"],
        "occlusion": figures.highlight(chars, occluded["drop"]),
        "occlusion_plot": figures.char_bars(
            chars,
            occluded["drop"],
            text("title_occlusion", lang, cls=shown),
            text("axis_probability_drop", lang),
            shown,
            lang,
        ),
        "reading_plot": figures.reading_chart(
            chars, remember("reading", lambda: inspection.reading(predictor, headline)), predictor.classes, lang
        ),
        "hidden_plot": None,
        "norm_plot": None,
        "table": [],
        "table_headers": [],
        "windows": [],
        "attention_note": "",
        # what the look deeper would otherwise compute again (cls_core.explain.attribution.method_scores)
        "method_scores": {
            "chars": chars,
            "class_index": c,
            "scores": {"occlusion": occluded["drop"]},
            "probabilities": occluded["probs"],
            "deletions": occluded["without"],
        },
    }
    if predictor.kind == "bilstm_att":
        out.update(
            _recurrent(
                remember("bilstm", lambda: inspection.inspect_bilstm(predictor, headline)),
                chars,
                layer,
                direction,
                lang,
            )
        )
        out["method_scores"]["scores"]["attention"] = out.pop("attention")
    else:
        out.update(
            _ngrams(
                remember("ngrams", lambda: _ngram_scores(predictor, headline, c)), predictor.kind, chars, shown, lang
            )
        )
        out["method_scores"]["scores"]["ngram"] = out.pop("ngram")
    return out


def _recurrent(r, chars, layer, direction, lang):
    """The BiLSTM's part (r: inspection.inspect_bilstm): attention against the even share,
    one layer's hidden states."""
    layer = min(max(int(layer), 1), len(r["hidden"]))
    d = 1 if direction == "backward" and len(r["hidden"][0]) > 1 else 0
    hidden = r["hidden"][layer - 1][d]
    where = dict(layer=layer, direction=text(("forward", "backward")[d], lang))
    attention = r["attention"][: len(chars)]
    return {
        "hidden_plot": figures.hidden_heatmap(chars, hidden, text("title_hidden", lang, **where), lang),
        "norm_plot": figures.char_bars(
            chars, np.linalg.norm(hidden, axis=-1), text("title_norm", lang, **where), text("axis_norm", lang)
        ),
        "attention": attention,
        "attention_note": attention_note(chars, attention, lang),
        "weights": figures.highlight(chars, attention),
        "weights_label": text("weights_attention", lang),
        "weights_plot": figures.char_bars(
            chars,
            attention,
            text("title_attention", lang),
            text("axis_attention", lang),
            lang=lang,
            reference=1 / len(chars),
        ),
    }


def _ngram_scores(predictor, headline, c):
    if predictor.kind == "textcnn":
        return inspection.inspect_textcnn(predictor, headline, c)
    return inspection.inspect_linear(predictor, headline, c)


def _ngrams(r, kind, chars, shown, lang):
    """The TextCNN's winning n-grams per window, or the linear model's exact n-gram scores
    (r: _ngram_scores)."""
    if kind == "textcnn":
        out = {
            "table_headers": [text(k, lang) for k in ("col_window", "col_ngram", "col_filters", "col_contribution")],
            "table": [
                [text("ngram_window", lang, k=w["window"]), s["ngram"], s["filters"], f"{s['contribution']:+.3f}"]
                for w in r["windows"]
                for s in w["spans"][:5]
                if s["ngram"].strip()
            ],
            "windows": [
                (text("window_label", lang, k=w["window"]), figures.highlight(chars, w["char_scores"]))
                for w in r["windows"]
            ],
            "weights_label": text("weights_textcnn", lang),
        }
        title, axis = text("title_textcnn", lang), text("axis_logit_share", lang)
    else:
        out = {
            "table_headers": [text(k, lang) for k in ("col_ngram", "col_linear_score")],
            "table": [[g, f"{v:+.3f}"] for g, v in r["ngrams"] if g.strip()][:15],
            "weights_label": text("weights_linear", lang),
        }
        title, axis = text("title_linear", lang), text("axis_score_share", lang)
    scores = r["char_scores"]
    return dict(
        out,
        ngram=scores,
        weights=figures.highlight(chars, scores),
        weights_plot=figures.char_bars(chars, scores, title, axis, shown, lang),
    )


def look_inside(demo, headline, name, layer=1, direction="forward", lang="en"):
    """(inside, deeper) for one headline and model: everything the Inside tab shows.
    Integrated gradients, the longest part, start first, on a second thread and on the
    network's copy (attribution.attribution_model), while the rest runs here: the two
    cores share one look."""
    cleaned, _ = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    looked = ("attributions", (name, predictor.sha256), cleaned) in demo.recent.keys()
    with demo.gates.inspect(), demo.registry.lock(name).quick():
        ig = (
            demo.gates.attributing.submit(attribution.integrated_gradients, predictor, cleaned)
            if name in demo.registry.network_names() and not looked
            else None
        )
        try:
            r = _inside(demo, headline, name, layer, direction, lang)
            return r, deeper(demo, headline, name, lang, inside=r, ig=ig)
        finally:
            if ig is not None:
                wait([ig])  # the copy is free again before the next look may start


def inside_summary(r, name, lang="en"):
    """The Markdown above the tab's figures: the answer, the attention note, any notice."""
    lines = [
        text(
            "inside_summary",
            lang,
            model=model_label(name, lang),
            n=len(r["text"]),
            cls=class_name(r["class"], lang),
            p=r["probability"],
        )
    ]
    if r["read_as"].strip() != r["text"]:
        lines.append(text("read_as", lang, text=markdown_literal(r["read_as"])))
    lines += [r["attention_note"]] if r["attention_note"] else []
    lines += [text("note", lang, text=r["notice"])] if r["notice"] else []
    return "  \n".join(lines)


def inspect_with_gradients(demo, headline, name):
    """(inside, integrated gradients or None) for the /inspect API: the linear model has
    none, its n-gram scores being exact."""
    with demo.gates.inspect(), demo.registry.lock(name).quick():
        r = _inside(demo, headline, name, 1, "forward", "en")
        ig = (
            attribution.integrated_gradients(demo.predictor(name), r["text"])
            if name in demo.registry.network_names()
            else None
        )
    return r, ig
