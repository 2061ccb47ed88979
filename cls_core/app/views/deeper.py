"""Inside's "look deeper": integrated gradients beside the other attribution methods, how far
they agree on this headline, the fewest characters that keep the answer and the smallest
edit that flips it."""

from cls_core.app import deep
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
    with demo.registry.lock(name):
        r = deep.attributions(predictor, headline, lang=lang, inside=inside, ig=ig)
    return {"methods_plot": r["methods_plot"], "agreement": agreement_text(r["agreement"], lang),
            "counterfactuals": counterfactual_text(r, predictor.classes, lang), "attributions": r}
