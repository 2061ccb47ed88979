"""Inside's "look deeper": integrated gradients beside the other attribution methods, how far
they agree on this headline, the fewest characters that keep the answer and the smallest
edit that flips it.

A visitor (or an /inspect client) may choose what is explained: a topic ("why stocks?") and
one to compare it with ("why stocks rather than finance?"), by class name. `asked_topics`
reads that choice; every method then explains the topic's logit, or the difference of the
two logits, and the flip search looks for the edit that makes the answer the chosen topic
that is not the answer already."""

from concurrent.futures import Future

import numpy as np

from cls_core.app import deep, deep_figures
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, agreement_text, counterfactual_text, markdown_literal
from cls_core.explain import attribution, counterfactual

TOPIC_MAX_CHARS = 50  # of a topic named in an error message


def asked_topics(topic="", rather_than=""):
    """(topic, rather_than) as asked, each a class name or "" (the answer; none): the part
    of a question's key (demo.recent) that says what is explained."""
    return (topic or "").strip(), (rather_than or "").strip()


def topic_indices(predictor, topic="", rather_than=""):
    """(class index or None, class index or None) of the topics chosen by class name ("":
    the answer, and none); UserError for a name the model does not answer with, and for a
    topic compared with itself."""

    def index(name):
        if not name:
            return None
        if name not in predictor.classes:
            raise UserError("error_unknown_topic", topic=name[:TOPIC_MAX_CHARS], topics=", ".join(predictor.classes))
        return predictor.classes.index(name)

    t, r = (index(name) for name in asked_topics(topic, rather_than))
    if r is not None and r == t:
        raise UserError("error_same_topics", topic=predictor.classes[r])
    return t, r


def check_contrast(predictor, explained, rather_than):
    """UserError when the topic explained (the answer, when none was chosen) is the one it
    is to be compared with: nothing tells a topic from itself."""
    if rather_than is not None and explained == rather_than:
        raise UserError("error_same_topics", topic=predictor.classes[explained])


def deeper(demo, headline, name, lang="en", inside=None, ig=None, topic="", rather_than=""):
    """{"methods_plot", "agreement" (Markdown), "counterfactuals" (Markdown), "attributions"
    (cls_core.app.deep.attributions, with "topic" and "rather_than" when chosen)}. inside:
    what views.inside.inside returned for this headline, model and topics (its scores are
    not computed again); ig: integrated gradients already under way (see
    views.inside.look_inside). topic, rather_than: class names ("": the answer, and none)."""
    headline, _ = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    if predictor.kind == "ensemble":
        raise UserError("error_pick_one")
    asked = asked_topics(topic, rather_than)
    t, r = topic_indices(predictor, *asked)
    with demo.registry.lock(name).quick():
        result = demo.recent.get(
            ("attributions", (name, predictor.sha256), headline, asked),
            lambda: (
                deep.attributions(predictor, headline, lang=lang, inside=inside, ig=ig)
                if asked == ("", "")
                else chosen_attributions(predictor, headline, t, r, lang=lang, inside=inside, ig=ig)
            ),
        )
    # one reading everywhere: the characters as typed (Inside's), where the model read as many
    typed = (inside or {}).get("method_scores", {}).get("chars")
    chars = typed if typed is not None and len(typed) == len(result["chars"]) else result["chars"]
    return {
        "methods_plot": deep_figures.methods_chart(chars, result["scores"], lang),
        "agreement": agreement_text(result["agreement"], lang),
        "counterfactuals": (
            counterfactual_text(result, predictor.classes, lang)
            if result["flip"]["to"] is None
            else flip_to_text(result, predictor.classes, lang)
        ),
        "attributions": result,
    }


def chosen_attributions(predictor, headline, topic, rather_than, lang="en", inside=None, ig=None):
    """deep.attributions for a chosen topic (None: the answer), or for logit(topic) -
    logit(rather_than): the methods explain that; the flip search looks for the smallest edit
    that makes the answer the topic of the two that it is not; the reduction still keeps the
    answer, its characters ordered by how much the answer's probability drops without each
    (integrated gradients when they explain the answer alone)."""
    known = (inside or {}).get("method_scores")
    same = known is not None and list(known["chars"]) == list(predictor.read_as(headline))
    probs = known["probabilities"] if same else predictor.predict_proba([headline])[0]
    answer = int(np.argmax(probs))
    explained = answer if topic is None else topic
    check_contrast(predictor, explained, rather_than)
    to = rather_than if explained == answer else explained
    flip = counterfactual.smallest_flip(predictor, headline, known=known, to=to)
    if isinstance(ig, Future):
        ig = ig.result()
    scored = attribution.method_scores(
        predictor, headline, ig=ig, known=known, topic=explained, rather_than=rather_than
    )
    ig_scores = scored["scores"].get("integrated_gradients")
    if ig_scores is not None and explained == answer and rather_than is None:
        importance = ig_scores
    elif same and known.get("deletions") is not None:
        importance = probs[answer] - np.asarray(known["deletions"])[:, answer]  # occlusion of the answer
    else:
        importance = None  # input_reduction measures it
    return {
        "chars": scored["chars"],
        "class": predictor.classes[answer],
        "topic": predictor.classes[explained],
        "rather_than": None if rather_than is None else predictor.classes[rather_than],
        "integrated_gradients": None if ig_scores is None else [round(float(v), 5) for v in ig_scores],
        "ig_delta": scored["ig_delta"],
        "scores": scored["scores"],
        "agreement": attribution.agreement(scored, predictor.kind),
        "methods_plot": deep_figures.methods_chart(scored["chars"], scored["scores"], lang),
        "reduction": counterfactual.input_reduction(predictor, headline, importance),
        "flip": flip,
    }


def flip_to_text(r, classes, lang="en"):
    """counterfactual_text for a search toward one topic: the fewest characters that keep the
    answer, and the smallest edit found that makes the answer that topic (or that none of
    those tried does)."""
    reduction, flip = r["reduction"], r["flip"]
    lines = [
        text(
            "reduction_line",
            lang,
            text=markdown_literal(reduction["text"]),
            k=len(reduction["kept"]),
            n=len(r["chars"]),
            cls=class_name(classes[reduction["class_index"]], lang),
            p=reduction["probability"],
        )
    ]
    to = class_name(classes[flip["to"]], lang)
    found = flip["flip"]
    if found is None:
        lines.append(text("flip_to_none", lang, cls=to, n=flip["evaluations"]))
        return "  \n".join(lines)
    edit = found["edit"]
    where = dict(old=markdown_literal(edit["from"]), position=edit["position"] + 1)
    how = (
        text("edit_delete", lang, **where)
        if edit["kind"] == "delete"
        else text("edit_replace", lang, new=markdown_literal(edit["to"]), **where)
    )
    line = text(
        "flip_to_line",
        lang,
        edit=how,
        text=markdown_literal(found["text"]),
        cls=to,
        p=found["probability"],
        was=class_name(classes[flip["original_class_index"]], lang),
    )
    if not found.get("chinese", True):  # the only flips found touch punctuation, digits or Latin letters
        line += text("flip_not_chinese", lang)
    lines.append(line)
    return "  \n".join(lines)
