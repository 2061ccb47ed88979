"""Inside the model: for one headline and one model, what it looks at (attention, winning
n-grams or exact n-gram scores), what changes its answer (occlusion), how the answer forms
character by character, and for the BiLSTM its hidden states. `look_inside` adds the look
deeper (cls_core.app.views.deeper) in one go, as the tab shows it.

What is explained is the answer, or a topic chosen by class name, or (with `rather_than`)
what tells that topic from another: occlusion then measures the drop of logit(topic) -
logit(rather_than), the n-gram scores are the shares of that difference, and the reading
follows it character by character (deep.asked_topics)."""

from concurrent.futures import wait

import numpy as np

from cls_core.app import figures
from cls_core.app.deep import asked_topics, check_contrast, topic_indices
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.views.deeper import deeper
from cls_core.app.wording import UserError, attention_note, markdown_literal, model_label, verdict_text
from cls_core.explain import attribution, inspection

READING_LINES = 4  # topics the reading shows (a chosen one among them)


def inside(demo, headline, name, layer=1, direction="forward", lang="en", topic="", rather_than=""):
    """{"text", "notice", "class", "probability", "topic", "rather_than", "topic_probability",
    "logit_difference", "weights", "weights_label", "weights_plot", "occlusion",
    "occlusion_plot", "reading_plot", "hidden_plot", "norm_plot", "table", "table_headers",
    "windows", "attention_note", "method_scores"} for one headline and model: the values the
    Inside tab shows (the look deeper aside). "class" and "probability" are the answer;
    "topic" is the class explained (the answer unless one is chosen), "rather_than" the one
    it is compared with (None: none), "logit_difference" logit(topic) - logit(rather_than)."""
    with demo.registry.lock(name).quick():
        return _inside(demo, headline, name, layer, direction, lang, topic, rather_than)


def _inside(demo, headline, name, layer, direction, lang, topic="", rather_than=""):
    headline, notice = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    if predictor.kind == "ensemble":
        raise UserError("error_pick_one")
    asked = asked_topics(topic, rather_than)
    t, r = topic_indices(predictor, *asked)

    def remember(what, compute, key=()):  # a redraw (another language, layer) runs no model again
        return demo.recent.get((what, (name, predictor.sha256), headline, *key), compute)

    # what depends on the topics asked is kept under them too; the reading's scores and the
    # BiLSTM's states are the same whatever is asked
    occluded = remember("occlusion", lambda: inspection.occlusion(predictor, headline, t, r), (asked,))
    c, chars = occluded["class_index"], occluded["chars"]
    check_contrast(predictor, c, r)
    answer = int(np.argmax(occluded["probs"]))
    shown = class_name(predictor.classes[c], lang)
    against = None if r is None else class_name(predictor.classes[r], lang)
    toward = shown if r is None else text("contrast_name", lang, cls=shown, other=against)
    if r is None:
        title = text("title_occlusion", lang, cls=shown)
        axis = text("axis_probability_drop", lang)
    else:
        title = text("title_occlusion_contrast", lang, cls=shown, other=against)
        axis = text("axis_logit_difference_drop", lang)
    scores = remember("reading", lambda: inspection.reading_scores(predictor, headline))
    _, (assessment,) = remember("verdict", lambda: predictor.predict_assessed([headline]))
    out = {
        "text": headline,
        "notice": notice,
        "verdict": assessment.as_dict(),  # Predict's verdict on the same headline, said first
        "read_as": predictor.read_as(headline),
        "class": predictor.classes[answer],
        "probability": float(occluded["probs"][answer]),
        "topic": predictor.classes[c],
        "rather_than": None if r is None else predictor.classes[r],
        "topic_probability": float(occluded["probs"][c]),
        "logit_difference": occluded["value"] if r is not None else None,
        "occlusion": figures.highlight(chars, occluded["drop"]),
        "occlusion_plot": _pair_legend(
            figures.char_bars(chars, occluded["drop"], title, axis, shown, lang), shown, against, lang
        ),
        "reading_plot": _reading_plot(predictor, chars, scores, c, r, asked, lang),
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
            "rather_than": r,
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
        ngrams = remember("ngrams", lambda: _ngram_scores(predictor, headline, c, r), (asked,))
        out.update(_ngrams(ngrams, predictor.kind, chars, shown, lang, toward if asked != ("", "") else None))
        out["method_scores"]["scores"]["ngram"] = out.pop("ngram")
        out["weights_plot"] = _pair_legend(out["weights_plot"], shown, against, lang)
    return out


def _pair_legend(figure, shown, against, lang):
    """A bar chart (figures.char_bars with cls=shown) of a difference with topic `against`
    (None: no difference; the figure as it is): its violet bars are named for what they push
    toward, the other topic, not "away from" the first."""
    for trace in figure.data if against is not None else ():
        if trace.name == text("away", lang, cls=shown):
            trace.name = text("toward", lang, cls=against)
    return figure


def _reading_plot(predictor, chars, scores, c, r, asked, lang):
    """The answer as the headline is read (scores: inspection.reading_scores): the likeliest
    topics' probabilities after each character, the topic chosen among them; with a topic to
    compare it with, logit(topic) - logit(rather_than) after each character."""
    classes = predictor.classes
    if r is not None:
        shown, against = class_name(classes[c], lang), class_name(classes[r], lang)
        figure = figures.char_bars(
            chars,
            scores[:, c] - scores[:, r],
            text("title_reading_contrast", lang, cls=shown, other=against),
            text("axis_logit_difference", lang),
            shown,
            lang,
        )
        return _pair_legend(figure, shown, against, lang)
    probs = predictor.calibrated(scores)
    if asked == ("", ""):
        return figures.reading_chart(chars, probs, classes, lang, top_k=READING_LINES)
    others = [k for k in np.argsort(-probs.max(axis=0), kind="stable") if k != c][: READING_LINES - 1]
    lines = [c, *others]
    return figures.reading_chart(chars, probs[:, lines], [classes[k] for k in lines], lang, top_k=len(lines))


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


def _ngram_scores(predictor, headline, c, rather_than=None):
    if predictor.kind == "textcnn":
        return inspection.inspect_textcnn(predictor, headline, c, rather_than)
    return inspection.inspect_linear(predictor, headline, c, rather_than)


def _ngrams(r, kind, chars, shown, lang, chosen=None):
    """The TextCNN's winning n-grams per window, or the linear model's exact n-gram scores
    (r: _ngram_scores); shown: the topic they push toward, as the page names it; chosen: what
    they explain when topics were chosen ("财经 finance rather than 股票 stocks"), which the
    words then name instead of "the predicted class"."""
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
            "weights_label": text("weights_textcnn_for", lang, cls=chosen) if chosen else text("weights_textcnn", lang),
        }
        title = text("title_textcnn_for", lang, cls=chosen) if chosen else text("title_textcnn", lang)
        axis = text("axis_logit_share", lang)
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


def look_inside(demo, headline, name, layer=1, direction="forward", lang="en", topic="", rather_than=""):
    """(inside, deeper) for one headline and model, explaining topic (a class name; "": the
    answer) rather than rather_than ("": none): everything the Inside tab shows. Integrated
    gradients, the longest part, start first, on a second thread and on the network's copy
    (attribution.attribution_model), while the rest runs here: the two cores share one look."""
    cleaned, _ = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    asked = asked_topics(topic, rather_than)
    looked = ("attributions", (name, predictor.sha256), cleaned, asked) in demo.recent.keys()
    t, r = topic_indices(predictor, *asked) if predictor.kind != "ensemble" else (None, None)
    with demo.gates.inspect(), demo.registry.lock(name).quick():
        ig = (
            demo.gates.attributing.submit(attribution.integrated_gradients, predictor, cleaned, target=t, rather_than=r)
            if name in demo.registry.network_names() and not looked
            else None
        )
        try:
            shown = _inside(demo, headline, name, layer, direction, lang, *asked)
            return shown, deeper(demo, headline, name, lang, inside=shown, ig=ig, topic=asked[0], rather_than=asked[1])
        finally:
            if ig is not None:
                wait([ig])  # the copy is free again before the next look may start


def inside_summary(r, name, lang="en"):
    """The Markdown above the tab's figures: Predict's verdict when it is unsure (first: the
    figures below explain an answer not to be trusted), the answer, what is explained when a
    topic was chosen, the attention note, any notice."""
    unsure = r.get("verdict", {}).get("unsure")
    lines = [text("inside_unsure", lang, verdict=verdict_text(r["verdict"], lang))] if unsure else []
    lines += [
        text(
            "inside_summary",
            lang,
            model=model_label(name, lang),
            n=len(r["text"]),
            cls=class_name(r["class"], lang),
            p=r["probability"],
        )
    ]
    if r.get("rather_than"):
        lines.append(
            text(
                "explaining_contrast",
                lang,
                cls=class_name(r["topic"], lang),
                other=class_name(r["rather_than"], lang),
                d=r["logit_difference"],
            )
        )
    elif r.get("topic", r["class"]) != r["class"]:
        lines.append(text("explaining_topic", lang, cls=class_name(r["topic"], lang), p=r["topic_probability"]))
    if r["read_as"].strip() != r["text"]:
        lines.append(text("read_as", lang, text=markdown_literal(r["read_as"])))
    lines += [r["attention_note"]] if r["attention_note"] else []
    lines += [text("note", lang, text=r["notice"])] if r["notice"] else []
    return "  \n".join(lines)


def inspect_with_gradients(demo, headline, name, topic="", rather_than=""):
    """(inside, integrated gradients or None) for the /inspect API, both explaining topic
    ("": the answer) rather than rather_than ("": none): the linear model has no gradients,
    its n-gram scores being exact."""
    with demo.gates.inspect(), demo.registry.lock(name).quick():
        r = _inside(demo, headline, name, 1, "forward", "en", topic, rather_than)
        classes = demo.predictor(name).classes
        ig = (
            attribution.integrated_gradients(
                demo.predictor(name),
                r["text"],
                target=classes.index(r["topic"]),
                rather_than=None if r["rather_than"] is None else classes.index(r["rather_than"]),
            )
            if name in demo.registry.network_names()
            else None
        )
    return r, ig
