"""headline-lens: classify Chinese news headlines and look inside the models.

    python app.py                      # http://127.0.0.1:7860, the shipped checkpoints
    python app.py --share              # plus a public link (add --auth on a public link)
    python app.py --auth user:secret   # require a login (or set APP_AUTH)

Links open a view directly: /?tab=inside&model=TextCNN&headline=国足3:0完胜泰国队&lang=zh-CN
(tab: predict, inside, map, evaluate, experiments, overview; model: one name, or several joined
by commas). On the map, clicking a point opens its headline in Inside.

The UI layer only: one builder per tab, each wiring widgets to that tab's views
(cls_core.app.views), which answer from the state all visitors share (cls_core.app.service.Demo);
the API endpoints answer with cls_core.app.api. Every handler takes the visitor's language (the
switch at the top) as its first input and words its output in it; the static text is Gradio's
own i18n (cls_core.app.i18n).
"""

import argparse
import functools
import html
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402
from gradio.i18n import I18nData  # noqa: E402

from cls_core.app import api, figures  # noqa: E402
from cls_core.app.concurrency import QUEUE_SIZE, WORKERS  # noqa: E402
from cls_core.app.i18n import LANGUAGES, PageText, language_for, text  # noqa: E402
from cls_core.app.inputs import MAX_CHARS, MAX_UPLOAD_BYTES  # noqa: E402
from cls_core.app.links import link_query, read_link  # noqa: E402
from cls_core.app.service import Demo  # noqa: E402
from cls_core.app.serving import configure_for_serving  # noqa: E402
from cls_core.app.views import evaluate, overview  # noqa: E402
from cls_core.app.views.experiments import experiment_figures  # noqa: E402
from cls_core.app.views.inside import inside_summary, look_inside  # noqa: E402
from cls_core.app.views.map import draw_map, numbered_headline  # noqa: E402
from cls_core.app.views.predict import (answer_panels, predict, predict_batch, random_test_headline,  # noqa: E402
                                        truth_line)
from cls_core.app.views.units import unit_choices, unit_view  # noqa: E402
from cls_core.app.wording import ENSEMBLE, UserError, model_label  # noqa: E402
from cls_core.data import resolve_data_dir  # noqa: E402

EXAMPLES = ["国足3:0完胜泰国队 晋级世界杯预选赛下一阶段", "央行宣布下调存款准备金率0.5个百分点",
            "北京东五环新盘开盘 均价每平米2.8万元", "《魔兽世界》新资料片下月上线", "周杰伦新专辑首发 歌迷排队数小时",
            "教育部：明年高考报名人数预计突破千万", "苹果发布新一代iPhone 搭载自研芯片", "沪指放量大涨2% 券商股集体涨停"]

# Switching the language also switches Gradio's own i18n (the static text) in the browser.
CHANGE_LOCALE_JS = """async (lang) => {
  const core = performance.getEntriesByType("resource").map((e) => e.name)
    .find((name) => /\\/assets\\/core-[^/]*\\.js$/.test(name));
  if (core) { try { (await import(core)).changeLocale(lang); } catch (e) { console.warn(e); } }
  return lang;
}"""
# The link box receives '?tab=…'; make it a whole address and put it on the clipboard.
FULL_LINK_JS = """(query) => {
  if (!query) return query;
  const link = window.location.origin + window.location.pathname + query;
  if (navigator.clipboard) navigator.clipboard.writeText(link).catch(() => {});
  return link;
}"""
# A click on a point of the map puts its headline number in the box and opens it in Inside
# (gr.Plot has no click event of its own; Plotly's graph div has one).
MAP_CLICK_JS = """() => {
  const hook = (graph) => {
    if (graph.dataset.opensInside || !graph.on) return;
    graph.dataset.opensInside = "yes";
    graph.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      const input = document.querySelector("#map-number input");
      if (!point || !point.customdata || !input) return;
      input.value = String(point.customdata[0]);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      setTimeout(() => document.querySelector("#map-open").click(), 100);
    });
  };
  new MutationObserver(() => document.querySelectorAll("#map-plot .js-plotly-plot").forEach(hook))
    .observe(document.body, { childList: true, subtree: true });
}"""
CSS = """
.verdicts { min-height: 1.5em; }
@media (max-width: 640px) { .gradio-container { padding: 4px !important; } }
"""


class StaticText(PageText):
    """page("key") -> the translation marker Gradio's i18n fills in, in the browser."""

    def __call__(self, key, **fields):
        return I18nData(super().__call__(key, **fields))


def hinted(*blank):
    """On a UserError, show its message as a hint in the visitor's language (the handler's
    first argument) and return `blank` for the outputs, so that none keeps an earlier
    run's content beside the new question."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(lang, *args, **kwargs):
            try:
                return fn(lang, *args, **kwargs)
            except UserError as e:
                gr.Warning(html.escape(e.text(lang)))  # the toast renders HTML
                return blank[0] if len(blank) == 1 else blank
        return wrapper
    return decorate


def api_errors(fn):
    """API endpoints: a UserError becomes a plain error message for the client, never a trace."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            raise gr.Error(str(e), print_exception=False) from None
    return wrapper


def hidden():
    return gr.update(visible=False, value=None)


def slot_updates(items, slots):
    """Fill the first len(items) of `slots` hidden components with (label, value); hide the rest."""
    updates = [hidden() for _ in range(slots)]
    for slot, (label, value) in enumerate(items[:slots]):
        updates[slot] = gr.update(visible=True, value=value, label=label)
    return updates


def table(rows, headers):
    return gr.update(value=pd.DataFrame(rows, columns=headers), visible=True)


# --- Predict ------------------------------------------------------------------------------

def build_predict(core, page, lang):
    names = core.model_names()
    with gr.Row():
        headline = gr.Textbox(label=page("headline_label", n=MAX_CHARS), placeholder=page("headline_placeholder"),
                              lines=1, max_lines=3, max_length=MAX_CHARS, scale=3, elem_id="headline")
        chosen = gr.CheckboxGroup(core.registry.choices(), value=names[:2], label=page("models_label"), scale=2)
    with gr.Row():
        predict_btn = gr.Button(page("predict_button"), variant="primary")
        random_btn = gr.Button(page("random_button"))
    truth = gr.Markdown(elem_classes="verdicts")
    note = gr.Markdown()
    with gr.Row(equal_height=True):
        panels = [gr.Label(num_top_classes=5, visible=False) for _ in names]
    examples = gr.Dataset(components=[gr.Textbox(render=False)], samples=[[e] for e in EXAMPLES], type="index",
                          label=page("examples_label"))
    with gr.Accordion(page("batch_title"), open=False):
        upload = gr.File(label=page("upload_label"), file_types=[".txt", ".csv"])
        batch_btn = gr.Button(page("batch_button"))
        batch_msg = gr.Markdown()
        batch_out = gr.File(label=page("batch_download"))

    outputs = [truth, note] + panels
    blank = ("", "") + tuple(hidden() for _ in panels)

    def answer(lang, text_in, models, true_class=None):
        shown, notice, results = predict(core, text_in, models, lang=lang)
        note_text, items = answer_panels(shown, notice, results, lang)
        truth_text = truth_line(true_class, results, lang) if true_class else ""
        return [truth_text, note_text] + slot_updates(items, len(panels))

    @hinted(*blank)
    def on_predict(lang, text_in, models):
        return answer(lang, text_in, models)

    @hinted(gr.skip(), *blank)
    def on_random(lang, models):
        text_in, true_class = random_test_headline(core)
        return [text_in] + answer(lang, text_in, models or names[:2], true_class)

    @hinted(gr.skip(), *blank)
    def on_example(lang, index, models):
        return [EXAMPLES[index]] + answer(lang, EXAMPLES[index], models)

    @hinted(None, "")
    def on_batch(lang, file):
        path, message = predict_batch(core, file, lang)
        return str(path), message

    for trigger in (predict_btn.click, headline.submit):
        trigger(on_predict, [lang, headline, chosen], outputs, api_visibility="private")
    random_btn.click(on_random, [lang, chosen], [headline] + outputs, api_visibility="private")
    examples.click(on_example, [lang, examples, chosen], [headline] + outputs, api_visibility="private")
    batch_btn.click(on_batch, [lang, upload], [batch_out, batch_msg], api_visibility="private")
    return dict(headline=headline, chosen=chosen, run=on_predict, outputs=outputs)


# --- Inside the model ---------------------------------------------------------------------

def build_inside(core, page, lang):
    singles = core.model_names(ensemble=False)
    first_rnn = core.registry.rnn_shape(singles[0]) if singles else None
    layers = max((core.registry.rnn_shape(n) or (1, 1))[0] for n in singles) if singles else 1
    gr.Markdown(page("inside_intro"))
    with gr.Row():
        inside_text = gr.Textbox(label=page("headline_label", n=MAX_CHARS), value=EXAMPLES[0], lines=1,
                                 max_lines=3, max_length=MAX_CHARS, scale=3, elem_id="inside-headline")
        model = gr.Radio(core.registry.choices(ensemble=False), value=singles[0] if singles else None,
                         label=page("inside_model"), scale=2)
    with gr.Row():
        layer = gr.Slider(1, max(layers, 2), value=layers, step=1, label=page("layer_label"),
                          visible=first_rnn is not None)
        direction = gr.Radio([(text("forward"), "forward"), (text("backward"), "backward")], value="forward",
                             label=page("direction_label"), visible=first_rnn is not None)
        inside_btn = gr.Button(page("inside_button"), variant="primary")
    summary = gr.Markdown()
    weights = gr.HighlightedText(label=page("weights_label"), show_legend=False, combine_adjacent=False)
    window_texts = [gr.HighlightedText(visible=False, show_legend=False, combine_adjacent=False)
                    for _ in range(core.registry.window_count())]
    occlusion = gr.HighlightedText(label=page("occlusion_label"), show_legend=False, combine_adjacent=False)
    with gr.Row():
        weights_plot = gr.Plot(label=page("plot_weights"))
        occlusion_plot = gr.Plot(label=page("plot_occlusion"))
    reading_plot = gr.Plot(label=page("plot_reading"))
    hidden_plot = gr.Plot(label=page("plot_hidden"), visible=False)
    norm_plot = gr.Plot(label=page("plot_norm"), visible=False)
    ngram_table = gr.Dataframe(label=page("ngram_table"), visible=False, interactive=False, max_height=800,
                               wrap=True)
    with gr.Accordion(page("deeper_title"), open=True):
        methods_plot = gr.Plot(label=page("plot_methods"))
        agreement = gr.Markdown()
        counterfactuals = gr.Markdown()
    with gr.Accordion(page("units_title"), open=False, visible=first_rnn is not None) as units_box:
        gr.Markdown(page("units_intro"))
        with gr.Row():
            units_btn = gr.Button(page("units_button"), scale=0, min_width=160)
            unit = gr.Dropdown(choices=[], value=None, label=page("unit_label"), interactive=True, scale=3)
        units_msg = gr.Markdown()
        unit_plot = gr.Plot(label=page("plot_unit"), visible=False)
        unit_rows = gr.Dataframe(label=page("unit_contexts"), interactive=False, visible=False, wrap=True)

    outputs = [summary, weights, *window_texts, occlusion, weights_plot, occlusion_plot, reading_plot,
               hidden_plot, norm_plot, ngram_table, methods_plot, agreement, counterfactuals, unit_plot]
    blank = ("", None, *(hidden() for _ in window_texts), None, None, None, None, hidden(), hidden(), hidden(),
             None, "", "", hidden())

    @hinted(*blank)
    def on_inside(lang, text_in, name, layer_value, direction_value, unit_key=None):
        r, deeper = look_inside(core, text_in, name, layer_value, direction_value, lang)
        with_unit = unit_key and core.registry.has_units(name)
        track = unit_view(core, text_in, name, unit_key, lang)[0] if with_unit else None
        rnn = r["hidden_plot"] is not None
        return (inside_summary(r, name, lang), gr.update(value=r["weights"], label=r["weights_label"]),
                *slot_updates(r["windows"], len(window_texts)), r["occlusion"],
                r["weights_plot"], r["occlusion_plot"], r["reading_plot"],
                gr.update(value=r["hidden_plot"], visible=rnn), gr.update(value=r["norm_plot"], visible=rnn),
                table(r["table"], r["table_headers"]) if r["table"] else hidden(),
                deeper["methods_plot"], deeper["agreement"], deeper["counterfactuals"],
                gr.update(value=track, visible=track is not None))

    def on_model(name):
        """BiLSTM controls and hidden units only for a recurrent model, sized to it."""
        shape = core.registry.rnn_shape(name)
        if shape is None:
            return gr.update(visible=False), gr.update(visible=False), gr.update(visible=False)
        return (gr.update(visible=True, maximum=max(shape[0], 2), value=shape[0]),
                gr.update(visible=shape[1] > 1, value="forward"), gr.update(visible=True))

    @hinted(gr.skip(), "")
    def on_units(lang, name, progress=gr.Progress()):
        progress(0, desc=text("indexing_units", lang))
        choices = unit_choices(core, name, lang)
        return gr.update(choices=choices, value=choices[0][1]), text("units_ready", lang, n=len(choices))

    @hinted(hidden(), hidden())
    def on_unit(lang, text_in, name, unit_key):
        if not unit_key:
            raise UserError("error_pick_unit")
        track, rows = unit_view(core, text_in, name, unit_key, lang)
        headers = [text(c, lang) for c in ("col_number", "col_context", "col_activation", "col_topic")]
        return gr.update(value=track, visible=True), table(rows, headers)

    inputs = [lang, inside_text, model, layer, direction, unit]
    run = dict(fn=on_inside, inputs=inputs, outputs=outputs, api_visibility="private", concurrency_id="inspect",
               concurrency_limit=None)
    inside_btn.click(**run)
    inside_text.submit(**run)
    model.change(on_model, [model], [layer, direction, units_box], api_visibility="private").then(**run)
    units_btn.click(on_units, [lang, model], [unit, units_msg], show_progress_on=[units_msg],
                    api_visibility="private", concurrency_id="evaluate", concurrency_limit=None)
    unit.change(on_unit, [lang, inside_text, model, unit], [unit_plot, unit_rows], api_visibility="private",
                trigger_mode="always_last")
    return dict(headline=inside_text, model=model, direction=direction, run=on_inside, inputs=inputs,
                outputs=outputs, unit_rows=unit_rows)


# --- Evaluate -----------------------------------------------------------------------------

def build_evaluate(core, page, lang):
    names = core.model_names()
    evaluated = gr.State(None)
    with gr.Row():
        model = gr.Dropdown(core.registry.choices(), value=names[0] if names else None, label=page("eval_model"))
        normalize = gr.Checkbox(label=page("row_normalised"))
        eval_btn = gr.Button(page("eval_button"), variant="primary")
    summary = gr.Markdown(page("eval_intro"))
    per_class = gr.Dataframe(label=page("per_class"), interactive=False, visible=False)
    confusion = gr.Dataframe(label=page("confusion_label"), interactive=False, visible=False, max_height=700)
    cell_msg = gr.Markdown()
    cell_rows = gr.Dataframe(label=page("cell_rows"), interactive=False, wrap=True, visible=False)
    with gr.Row():
        reliability = gr.Plot(label=page("plot_reliability"))
        coverage = gr.Plot(label=page("plot_coverage"))
    with gr.Row():
        length_plot = gr.Plot(label=page("plot_slices_length"))
        unknown_plot = gr.Plot(label=page("plot_slices_unknown"))
    csv_out = gr.File(label=page("csv_label"))
    with gr.Accordion(page("agree_title"), open=False):
        gr.Markdown(page("agree_intro"))
        agree_btn = gr.Button(page("agree_button"))
        agree_msg = gr.Markdown()
        agree_plot = gr.Plot(label=page("agree_title"), visible=False)
        agree_rows = gr.Dataframe(interactive=False, visible=False)
    with gr.Accordion(page("disagree_title"), open=False):
        disagree_btn = gr.Button(page("disagree_button"))
        disagree_msg = gr.Markdown()
        disagree_rows = gr.Dataframe(interactive=False, wrap=True, visible=False)

    columns = ("col_class", "col_precision", "col_recall", "col_f1", "col_support")
    cell_columns = ("col_headline", "col_true", "col_predicted", "col_probability")

    @hinted("", hidden(), hidden(), "", hidden(), None, None, None, None, None, None)
    def on_evaluate(lang, name, normalized, progress=gr.Progress()):
        progress(0, desc=text("evaluating", lang))
        report = evaluate.evaluation_report(core, name, progress=lambda f: progress(f, desc=text("evaluating", lang)))
        by_length, by_unknown = evaluate.slices(core, lang)
        return (evaluate.evaluation_summary(report, lang),
                table(evaluate.per_class_rows(report, lang), [text(c, lang) for c in columns]),
                gr.update(value=evaluate.confusion_table(core, report, normalized, lang), visible=True),
                text("cell_hint", lang), hidden(), figures.reliability_diagram(report["reliability"], lang),
                figures.coverage_chart(evaluate.coverage_curves(core, lang), lang), by_length, by_unknown,
                str(evaluate.predictions_csv(core, report)), name)

    @hinted(gr.skip())
    def on_normalize(lang, name, normalized):
        if not name:
            return gr.skip()
        report = evaluate.evaluation_report(core, name)
        return gr.update(value=evaluate.confusion_table(core, report, normalized, lang), visible=True)

    @hinted("", hidden())
    def on_cell(lang, name, evt: gr.SelectData):
        if not name:
            raise UserError("error_run_evaluation")
        row, col = evt.index
        if col == 0:
            raise UserError("error_click_number")
        rows, message = evaluate.cell_headlines(core, evaluate.evaluation_report(core, name), row, col - 1, lang)
        return message, table(rows, [text(c, lang) for c in cell_columns])

    @hinted(hidden(), "")
    def on_disagree(lang, progress=gr.Progress()):
        progress(0, desc=text("scoring_all", lang))
        singles, rows, total = evaluate.disagreements(core, lang=lang)
        headers = [text("col_headline", lang), text("col_true", lang)] + [model_label(m, lang) for m in singles]
        return table(rows, headers), text("disagree_message", lang, total=total, n=len(core.test_split()),
                                          shown=len(rows))

    @hinted("", hidden(), hidden())
    def on_agreement(lang, progress=gr.Progress()):
        progress(0, desc=text("agreeing", lang))
        figure, rows = evaluate.attention_agreement(core, lang, progress=lambda f, what: progress(
            f, desc=f"{text('agreeing', lang)}: {what}"))
        headers = [text(c, lang) for c in ("col_model", "col_pair", "col_mean", "col_median", "col_headlines")]
        return "", gr.update(value=figure, visible=True), table(rows, headers)

    heavy = dict(api_visibility="private", concurrency_id="evaluate", concurrency_limit=None)
    eval_btn.click(on_evaluate, [lang, model, normalize],
                   [summary, per_class, confusion, cell_msg, cell_rows, reliability, coverage, length_plot,
                    unknown_plot, csv_out, evaluated], show_progress_on=[summary], **heavy)
    agree_btn.click(on_agreement, [lang], [agree_msg, agree_plot, agree_rows], show_progress_on=[agree_msg], **heavy)
    normalize.change(on_normalize, [lang, evaluated, normalize], [confusion], api_visibility="private")
    confusion.select(on_cell, [lang, evaluated], [cell_msg, cell_rows], api_visibility="private")
    disagree_btn.click(on_disagree, [lang], [disagree_rows, disagree_msg], show_progress_on=[disagree_msg], **heavy)
    return dict(model=model)


# --- Map of the test split -----------------------------------------------------------------

def build_map(core, page, lang):
    """The map; a click on a point (MAP_CLICK_JS) or a typed number opens that headline in Inside."""
    networks = core.registry.network_names()
    gr.Markdown(page("map_intro"))
    with gr.Row():
        model = gr.Radio(core.registry.choices(networks=True), value=networks[0] if networks else None,
                         label=page("map_model"), scale=3)
        draw_btn = gr.Button(page("map_button"), variant="primary", scale=1)
    summary = gr.Markdown()
    plot = gr.Plot(label=page("plot_map"), elem_id="map-plot")
    with gr.Row():
        number = gr.Number(label=page("map_open_label"), precision=0, minimum=0, value=None, elem_id="map-number",
                           scale=3)
        open_btn = gr.Button(page("map_open_button"), elem_id="map-open", scale=1)

    @hinted("", None)
    def on_draw(lang, name, progress=gr.Progress()):
        progress(0, desc=text("drawing_map", lang))
        figure, message = draw_map(core, name, lang)
        return message, figure

    draw_btn.click(on_draw, [lang, model], [summary, plot], show_progress_on=[summary], api_visibility="private",
                   concurrency_id="evaluate", concurrency_limit=None)
    return dict(model=model, number=number, open=open_btn)


# --- Experiments --------------------------------------------------------------------------

EXPERIMENT_PLOTS = ("cells", "pad_size", "batch_size", "gradients_trained", "gradients_init")
EXPERIMENT_LABELS = ("plot_cells", "plot_pad", "plot_batch", "plot_gradients_trained", "plot_gradients_init")


def build_experiments(core, page, lang):
    gr.Markdown(page("experiments_intro"))
    missing = gr.Markdown(visible=False)
    plots = [gr.Plot(label=page(label), visible=False) for label in EXPERIMENT_LABELS]

    def fill(lang_code):
        found = experiment_figures(core, lang_code)
        if found is None:
            return [gr.update(value=text("experiments_missing", lang_code), visible=True)] + [hidden() for _ in plots]
        return [gr.update(visible=False)] + [gr.update(value=found.get(key), visible=key in found)
                                             for key in EXPERIMENT_PLOTS]

    return dict(fill=fill, outputs=[missing] + plots)


# --- Overview -----------------------------------------------------------------------------

def build_overview(core, page, lang):
    """Static explanation, then tables and plots worded in the visitor's language (filled
    again when the language changes)."""
    gr.Markdown(page("overview_what"))
    gr.Markdown(page("overview_data"))
    data_sentence = gr.Markdown()
    counts = gr.Dataframe(label=page("per_class_counts"), interactive=False)
    gr.Markdown(page("overview_models"))
    models = gr.Dataframe(interactive=False)
    accuracy = gr.Plot(label=page("plot_accuracy"))
    curves, notes = [], []
    for _ in core.models:
        curves.append(gr.Plot(label=page("plot_training"), visible=False))
        notes.append(gr.Markdown(visible=False))

    def fill(lang_code):
        split_counts = overview.class_counts(core)
        sizes = ", ".join(f"{text('split_' + s, lang_code)} {sum(c):,}" for s, c in split_counts.items())
        rows = core.model_rows()
        bars = overview.accuracy_bars(rows, lang_code)
        out = [text("data_sentence", lang_code, counts=sizes),
               pd.DataFrame(overview.class_count_rows(core, split_counts, lang_code),
                            columns=[text("col_class", lang_code)] + [text("split_" + s, lang_code)
                                                                        for s in split_counts]),
               pd.DataFrame(overview.model_table(rows, lang_code),
                            columns=[text(c, lang_code) for c in ("col_model", "col_parameters", "col_file_mb",
                                                                  "col_test_accuracy", "col_calibration")]),
               figures.accuracy_bars(bars, text("title_accuracy", lang_code))]
        for name in core.models:
            curve = overview.training_curve(core.registry, name, lang_code)
            out.append(gr.update(value=curve, visible=curve is not None))
            out.append(gr.update(value="" if curve is not None else text("no_curve_linear", lang_code,
                                                                            model=model_label(name, lang_code)),
                                 visible=curve is None))
        return out

    outputs = [data_sentence, counts, models, accuracy] + [x for pair in zip(curves, notes) for x in pair]
    return dict(fill=fill, outputs=outputs)


# --- the page -----------------------------------------------------------------------------

def build_app(core):
    """(gr.Blocks, gr.I18n): the page, and the translations of its static text."""
    page = StaticText()
    names = core.model_names()
    ours, reference = overview.best_accuracy(core.registry), max(acc for _, acc in overview.PUBLISHED)
    with gr.Blocks(title="headline-lens", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        with gr.Row(equal_height=True):
            gr.Markdown("# headline-lens", scale=3)
            lang = gr.Dropdown([(label, code) for code, label in LANGUAGES.items()], value="en",
                               label=page("language"), scale=1, min_width=140, elem_id="language")
        gr.Markdown(page("intro", ours=f"{ours:.1%}" if ours else "—", reference=f"{reference:.1%}"))
        gr.Markdown(page("privacy"))
        problems = gr.Markdown("  \n".join(text("warning", text=p) for p in core.registry.problem_lines()),
                               visible=bool(core.registry.unavailable))
        with gr.Tabs(selected="predict") as tabs:
            with gr.Tab(page("tab_predict"), id="predict") as tab_predict:
                predict_ui = build_predict(core, page, lang)
            with gr.Tab(page("tab_inside"), id="inside") as tab_inside:
                inside_ui = build_inside(core, page, lang)
            with gr.Tab(page("tab_map"), id="map") as tab_map:
                map_ui = build_map(core, page, lang)
            with gr.Tab(page("tab_evaluate"), id="evaluate") as tab_evaluate:
                evaluate_ui = build_evaluate(core, page, lang)
            with gr.Tab(page("tab_experiments"), id="experiments") as tab_experiments:
                experiments_ui = build_experiments(core, page, lang)
            with gr.Tab(page("tab_overview"), id="overview") as tab_overview:
                overview_ui = build_overview(core, page, lang)
        with gr.Row():
            link_btn = gr.Button(page("copy_link"), size="sm", scale=0, min_width=220)
            link = gr.Textbox(label=page("link_label"), buttons=["copy"], interactive=False, scale=4,
                              show_label=False, elem_id="link")

        # Which tab is open, for links.
        current_tab = gr.State("predict")
        tab_list = {"predict": tab_predict, "inside": tab_inside, "map": tab_map, "evaluate": tab_evaluate,
                    "experiments": tab_experiments, "overview": tab_overview}
        for tab_id, tab in tab_list.items():
            tab.select(lambda tab_id=tab_id: tab_id, None, current_tab, api_visibility="private")

        # A test headline picked on the map or in a unit's contexts opens in Inside, analysed.
        @hinted(gr.skip(), gr.skip(), gr.skip(), gr.skip())
        def on_open(lang_code, index, name):
            headline = numbered_headline(core, index)
            return gr.update(selected="inside"), "inside", headline, name if name in core.models else gr.skip()

        def on_context(lang_code, name, evt: gr.SelectData):
            return on_open(lang_code, evt.row_value[0], name)

        def then_inside(event):
            event.then(inside_ui["run"], inside_ui["inputs"], inside_ui["outputs"],
                       api_visibility="private", concurrency_id="inspect", concurrency_limit=None)

        open_targets = [tabs, current_tab, inside_ui["headline"], inside_ui["model"]]
        then_inside(map_ui["open"].click(on_open, [lang, map_ui["number"], map_ui["model"]], open_targets,
                                           api_visibility="private"))
        then_inside(inside_ui["unit_rows"].select(on_context, [lang, inside_ui["model"]], open_targets,
                                               api_visibility="private"))

        def on_link(lang_code, tab, headline, models, inside_headline, inside_model):
            if tab == "inside":
                return link_query(tab, inside_headline, [inside_model] if inside_model else [], lang_code)
            return link_query(tab, headline if tab == "predict" else "", models if tab == "predict" else [],
                              lang_code)

        link_btn.click(on_link, [lang, current_tab, predict_ui["headline"], predict_ui["chosen"], inside_ui["headline"],
                                 inside_ui["model"]], link, api_visibility="private").then(
            None, link, link, js=FULL_LINK_JS)

        # A language change rewords the pickers, the Overview and the Experiments (static text:
        # CHANGE_LOCALE_JS).
        def fill_pages(lang_code):
            return overview_ui["fill"](lang_code) + experiments_ui["fill"](lang_code)

        def on_language(lang_code):
            warnings = "  \n".join(text("warning", lang_code, text=p) for p in core.registry.problem_lines(lang_code))
            return [gr.update(choices=core.registry.choices(lang_code)),
                    gr.update(choices=core.registry.choices(lang_code, ensemble=False)),
                    gr.update(choices=core.registry.choices(lang_code, networks=True)),
                    gr.update(choices=core.registry.choices(lang_code)),
                    gr.update(choices=[(text(d, lang_code), d) for d in ("forward", "backward")]),
                    gr.update(value=warnings)] + fill_pages(lang_code)

        # Gradio translates a tab's name once, when the page is built: rename them here.
        def on_language_tabs(lang_code):
            return [gr.update(label=text("tab_" + tab_id, lang_code)) for tab_id in tab_list]

        pages = overview_ui["outputs"] + experiments_ui["outputs"]
        pickers = [predict_ui["chosen"], inside_ui["model"], map_ui["model"], evaluate_ui["model"], inside_ui["direction"]]
        lang.change(on_language, [lang], pickers + [problems] + pages,
                    js=CHANGE_LOCALE_JS, api_visibility="private").then(
            on_language_tabs, [lang], list(tab_list.values()), api_visibility="private")

        # Opening the page: the language of the link or the browser, then the view a link asks for.
        def on_load(request: gr.Request):
            asked = read_link(dict(request.query_params), names)
            lang_code = asked["lang"] or language_for(request.headers.get("accept-language"))
            headline = asked["headline"]
            models = asked["models"]
            return (lang_code, gr.update(selected=asked["tab"]), asked["tab"],
                    headline if asked["tab"] == "predict" and headline else gr.skip(),
                    models or gr.skip(),
                    headline if asked["tab"] == "inside" and headline else gr.skip(),
                    models[0] if asked["tab"] == "inside" and models and models[0] != ENSEMBLE else gr.skip(),
                    "predict" if headline and asked["tab"] == "predict" else
                    "inside" if headline and asked["tab"] == "inside" else "")

        start = gr.State("")

        def open_predict(lang_code, what, headline, models):
            return predict_ui["run"](lang_code, headline, models) if what == "predict" else \
                [gr.skip()] * len(predict_ui["outputs"])

        def open_inside(lang_code, what, *args):
            return inside_ui["run"](lang_code, *args) if what == "inside" else [gr.skip()] * len(inside_ui["outputs"])

        app.load(on_load, None, [lang, tabs, current_tab, predict_ui["headline"], predict_ui["chosen"],
                                 inside_ui["headline"], inside_ui["model"], start], api_visibility="private").then(
            open_predict, [lang, start, predict_ui["headline"], predict_ui["chosen"]], predict_ui["outputs"],
            api_visibility="private").then(
            open_inside, [lang, start] + inside_ui["inputs"][1:], inside_ui["outputs"], api_visibility="private").then(
            fill_pages, [lang], pages, api_visibility="private")

        # --- API endpoints (gradio_client): plain JSON in, plain JSON out --------------------
        @api_errors
        def api_predict(headline: str, model: str = "TextCNN", top_k: int = 5) -> dict:
            """Top classes of a headline with calibrated probabilities, and the verdict."""
            return api.predict_answer(core, headline, model, top_k)

        @api_errors
        def api_inspect(headline: str, model: str = "BiLSTM-attention") -> dict:
            """Per-character weights (attention or n-gram contribution), occlusion, and for a
            network integrated gradients with their convergence delta."""
            return api.inspect_answer(core, headline, model)

        @api_errors
        def api_evaluate(model: str = "TextCNN") -> dict:
            """Accuracy, macro-F1, ECE and the confusion matrix on the test split."""
            return api.evaluate_answer(core, model)

        gr.api(api_predict, api_name="predict")
        gr.api(api_inspect, api_name="inspect", concurrency_id="inspect", concurrency_limit=None)
        gr.api(api_evaluate, api_name="evaluate", concurrency_id="evaluate", concurrency_limit=None)
    return app, gr.I18n(**page.translations())


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also serve a public gradio.live link")
    p.add_argument("--auth", default=os.environ.get("APP_AUTH"), help="USER:PASS login (or env APP_AUTH)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--checkpoints", default="checkpoints")
    p.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews; the test split "
                                      "falls back to the copy shipped in data/demo/")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    configure_for_serving()  # one torch thread per Gradio worker: see cls_core/app/serving.py
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not (sep and user and password):
            sys.exit("error: --auth takes USER:PASS")
        auth = (user, password)
    elif args.share:
        print("warning: --share without --auth: anyone with the public link can use this app "
              "(add --auth USER:PASS or set APP_AUTH)", file=sys.stderr)
    core = Demo.load(args.checkpoints, resolve_data_dir(args.data_dir), args.device)
    for problem in core.registry.problem_lines():
        print("warning:", problem, file=sys.stderr)
    if not core.models:
        sys.exit("error: no model could be loaded; see the warnings above")
    app, i18n = build_app(core)
    app.queue(default_concurrency_limit=WORKERS, max_size=QUEUE_SIZE)
    launch = dict(server_name=args.host, server_port=args.port, auth=auth, show_error=True, i18n=i18n,
                  max_file_size=MAX_UPLOAD_BYTES, css=CSS, js=MAP_CLICK_JS)
    try:
        app.launch(share=args.share, **launch)
    except Exception as e:  # no route to the share server: keep serving locally
        if not args.share:
            raise
        print(f"warning: the public link could not be made ({e}); serving locally only", file=sys.stderr)
        app.launch(share=False, **launch)


if __name__ == "__main__":
    main()
