"""Inside's hidden units of the BiLSTM: the units ranked by how topic-specific they are over
the test split, one unit's activation along a headline, and where it fires most."""

from cls_core.app import deep, deep_figures
from cls_core.app.i18n import class_name, text
from cls_core.app.inputs import clean_headline
from cls_core.app.wording import UserError


def unit_choices(demo, name, lang="en"):
    """[(label, "layer/direction/unit")] of the BiLSTM's units, most topic-specific first;
    builds the index over the model's test split at first use (cached on disk per checkpoint)."""
    if not demo.registry.has_units(name):
        raise UserError("error_units_bilstm")
    demo.test_split(name)  # one that cannot be read says so (UserError) before the cache looks for it
    with demo.gates.evaluate(), demo.registry.lock(name).long():
        view = deep.units_view(demo.predictor(name), demo.test_file(name), lang=lang)
    return [
        (
            text(
                "unit_choice",
                lang,
                layer=u["layer"],
                direction=text(u["direction"], lang),
                unit=u["unit"],
                topic=class_name(u["topic"], lang),
                specificity=u["specificity"],
            ),
            f"{u['layer']}/{u['direction']}/{u['unit']}",
        )
        for u in view["units"]
    ]


def unit_view(demo, headline, name, unit_key, lang="en"):
    """(the unit's activation along the headline, [test number, context, activation, topic]
    of the test headlines where it fires most)."""
    if not demo.registry.has_units(name):
        raise UserError("error_units_bilstm")
    headline, _ = clean_headline(headline, lang)
    layer, direction, unit = unit_key.split("/")

    predictor = demo.predictor(name)

    def compute():
        with demo.registry.lock(name).quick():
            return deep.units_view(
                predictor, demo.test_file(name), headline, int(layer), direction, int(unit), lang=lang
            )

    # a redraw runs no model again; the key names the checkpoint, so a model replaced under
    # the same name is another model
    view = demo.recent.get(("unit", (name, predictor.sha256), headline, unit_key), compute)
    rows = [
        [
            c["headline"],
            f"{c['left']}【{c['char']}】{c['right']}",
            f"{c['activation']:.3f}",
            class_name(c["topic"], lang),
        ]
        for c in view["contexts"]
    ]
    track = view["track"]
    return deep_figures.unit_track_chart(track["chars"], track["values"], int(layer), direction, int(unit), lang), rows
