"""The Map: every test headline as the vector the classifier reads, projected to two
dimensions; a point (or a test headline number) opens in Inside."""

from cls_core.app import deep
from cls_core.app.i18n import text
from cls_core.app.wording import UserError, model_label


def draw_map(demo, name, lang="en", progress=None):
    """(figure, summary Markdown) of the network's test split (its own for a model of yours;
    shipped for the shipped networks, else built at first use, telling progress(fraction,
    stage), then cached on disk)."""
    if name not in demo.registry.network_names():
        raise UserError("error_map_network")
    predictor = demo.predictor(name)
    demo.test_split(name)  # one that cannot be read says so (UserError) before the cache looks for it
    with demo.gates.evaluate(), demo.registry.lock(name).long():
        view = deep.map_view(predictor, demo.test_file(name), lang=lang, progress=progress)
    return view["figure"], text(
        "map_summary", lang, model=model_label(name, lang), n=len(view["texts"]), seconds=view["seconds"]
    )


def numbered_headline(demo, index, name=None):
    """Headline number `index` of model name's test split (as the map and the unit contexts
    number them; THUCNews's without a name)."""
    texts = demo.test_split(name).texts
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise UserError("error_headline_number", n=len(texts) - 1) from None
    if not 0 <= index < len(texts):
        raise UserError("error_headline_number", n=len(texts) - 1)
    return texts[index]
