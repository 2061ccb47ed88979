"""Inside's "look deeper": integrated gradients beside the other attribution methods, how far
they agree on this headline, the fewest characters that keep the answer and the smallest
edit that flips it.

A visitor (or an /inspect client) may choose what is explained: a topic ("why stocks?") and
one to compare it with ("why stocks rather than finance?"), by class name. `deep.asked_topics`
reads that choice; every method then explains the topic's logit, or the difference of the
two logits, and the flip search looks for the edit that makes the answer the chosen topic
that is not the answer already."""

from cls_core.app import deep, deep_figures
from cls_core.app.deep import asked_topics, topic_indices
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, agreement_text, counterfactual_text


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
            lambda: deep.attributions(predictor, headline, lang=lang, inside=inside, ig=ig, topic=t, rather_than=r),
        )
    # one reading everywhere: the characters as typed (Inside's), where the model read as many
    typed = (inside or {}).get("method_scores", {}).get("chars")
    chars = typed if typed is not None and len(typed) == len(result["chars"]) else result["chars"]
    return {
        "methods_plot": deep_figures.methods_chart(chars, result["scores"], lang),
        "agreement": agreement_text(result["agreement"], lang),
        "counterfactuals": counterfactual_text(result, predictor.classes, lang),
        "attributions": result,
    }
