"""Inside's "look deeper": integrated gradients beside the other attribution methods, how far
they agree on this headline, the fewest characters that keep the answer and the smallest
edit that flips it."""

from cls_core.app import deep, deep_figures
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError, agreement_text, counterfactual_text


def deeper(demo, headline, name, lang="en", inside=None, ig=None):
    """{"methods_plot", "agreement" (Markdown), "counterfactuals" (Markdown), "attributions"
    (cls_core.app.deep.attributions)}. inside: what views.inside.inside returned for this
    headline and model (its scores are not computed again); ig: integrated gradients
    already under way (see views.inside.look_inside)."""
    headline, _ = clean_headline(headline, lang)
    predictor = demo.predictor(name)
    if predictor.kind == "ensemble":
        raise UserError("error_pick_one")
    with demo.registry.lock(name).quick():
        r = demo.recent.get(
            ("attributions", (name, predictor.sha256), headline),
            lambda: deep.attributions(predictor, headline, lang=lang, inside=inside, ig=ig),
        )
    # one reading everywhere: the characters as typed (Inside's), where the model read as many
    typed = (inside or {}).get("method_scores", {}).get("chars")
    chars = typed if typed is not None and len(typed) == len(r["chars"]) else r["chars"]
    return {
        "methods_plot": deep_figures.methods_chart(chars, r["scores"], lang),
        "agreement": agreement_text(r["agreement"], lang),
        "counterfactuals": counterfactual_text(r, predictor.classes, lang),
        "attributions": r,
    }
