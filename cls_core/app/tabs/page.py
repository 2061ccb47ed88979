"""The page: a frame (title, language, intro, the link of the current view), the six tabs
(and Review and Train where app.py's flags show them), and the API endpoints. Every view is
drawn from the visitor's state (cls_core.app.visitor): opening the page or a link draws it in
the visitor's language, and a change of language words every text and redraws every view the
visitor has seen, from kept results.

    page = build_page(Demo.load(...))
    page.launch(css=CSS, js=PAGE_JS)
"""

import functools
import logging
from dataclasses import replace

import gradio as gr
import plotly.graph_objects as go

from cls_core.app import api
from cls_core.app.concurrency import PAGE_EVENT
from cls_core.app.i18n import LANGUAGES, language_for, text
from cls_core.app.links import link_query, read_link, read_topics
from cls_core.app.tabs.common import Words, answer, merge
from cls_core.app.tabs.evaluate import EvaluateTab
from cls_core.app.tabs.experiments import ExperimentsTab
from cls_core.app.tabs.inside import InsideTab
from cls_core.app.tabs.map import MAP_CLICK_JS, MapTab
from cls_core.app.tabs.overview import OverviewTab
from cls_core.app.tabs.predict import PredictTab
from cls_core.app.tabs.review import ReviewTab
from cls_core.app.tabs.train import TrainTab
from cls_core.app.views.overview import PUBLISHED, best_accuracy
from cls_core.app.visitor import Visitor
from cls_core.app.wording import ENSEMBLE, UserError

logger = logging.getLogger(__name__)

TABS = {
    "predict": PredictTab,
    "inside": InsideTab,
    "map": MapTab,
    "evaluate": EvaluateTab,
    "experiments": ExperimentsTab,
    "overview": OverviewTab,
}

# The figures are drawn for a light page: the page stays light where the system is dark.
# Every figure fills its card: plotly draws a figure at its box's width (gr.Plot sets its
# responsive config: a window 'resize' draws the figures on screen again at theirs), but one
# drawn while its tab or accordion is hidden (display: none, no width) is drawn 700 px wide
# whatever its card. Each figure's box is watched: when one is shown, or its card changes
# width without a window resize, and a figure on screen is not as wide as its box, a window
# 'resize' is sent (once a frame at most).
PAGE_JS = """() => {
  const light = () => document.body.classList.remove("dark");
  light();
  new MutationObserver(light).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  let frame = 0;
  const unfitting = () => [...document.querySelectorAll(".js-plotly-plot")].some((graph) => {
    if (graph.closest("#plotly-warmup")) return false;
    const box = graph.getBoundingClientRect(), svg = graph.querySelector(".main-svg");
    return box.width > 0 && svg && Math.abs(svg.getBoundingClientRect().width - box.width) > 1;
  });
  const refit = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (unfitting()) window.dispatchEvent(new Event("resize"));
    });
  };
  const boxes = new ResizeObserver(refit);
  // A table wider than its card scrolls sideways: its edge says so (a shadow where more lies).
  let marking = 0;
  const edges = () => {
    marking = 0;
    document.querySelectorAll(".table-wrap").forEach((wrap) => {
      const view = wrap.querySelector(".virtual-table-viewport");
      if (!view) return;
      const right = view.scrollWidth - view.clientWidth - view.scrollLeft > 1, left = view.scrollLeft > 1;
      const more = [left ? "left" : "", right ? "right" : ""].join(" ").trim();
      if ((wrap.dataset.more || "") !== more) wrap.dataset.more = more;
    });
  };
  const mark = () => { if (!marking) marking = requestAnimationFrame(edges); };
  const tables = new ResizeObserver(mark);
  const watch = () => {
    document.querySelectorAll(".js-plotly-plot").forEach((graph) => {
      if (graph.dataset.fits) return;
      graph.dataset.fits = "watched";
      boxes.observe(graph);
    });
    document.querySelectorAll(".virtual-table-viewport").forEach((view) => {
      if (view.dataset.edges) return;
      view.dataset.edges = "watched";
      view.addEventListener("scroll", mark, { passive: true });
      tables.observe(view);
    });
    mark();
  };
  new MutationObserver(watch).observe(document.body, { childList: true, subtree: true });
  (MAP_CLICK)();
}""".replace("MAP_CLICK", MAP_CLICK_JS)
# The link box receives '?tab=…'; make it a whole address and put it on the clipboard.
FULL_LINK_JS = """(query) => {
  if (!query) return query;
  const link = window.location.origin + window.location.pathname + query;
  if (navigator.clipboard) navigator.clipboard.writeText(link).catch(() => {});
  return link;
}"""
CSS = """
.verdicts { min-height: 1.5em; }
.hint { color: var(--color-accent); font-weight: 600; }
.selection-button { display: none; }  /* a clicked cell's row and column handles would cover its neighbours */
#title h1 { white-space: nowrap; }
#plotly-warmup { position: absolute; left: -10000px; width: 10px; height: 10px; overflow: hidden; }
/* a table that scrolls sideways: a shadow at the edge where more columns lie (PAGE_JS marks it) */
.table-wrap[data-more~="right"]::after, .table-wrap[data-more~="left"]::before {
  content: ""; position: absolute; top: 0; bottom: 0; width: 24px; pointer-events: none; z-index: 5;
}
.table-wrap[data-more~="right"]::after { right: 0; background: linear-gradient(to left, #0003, transparent); }
.table-wrap[data-more~="left"]::before { left: 0; background: linear-gradient(to right, #0003, transparent); }
@media (max-width: 640px) {
  .gradio-container { padding: 4px !important; }
  #header { flex-direction: column; align-items: stretch; }
}
/* Predict's answers: a header of two lines pushes the answer down instead of covering it, and
   an unsure answer is marked and greyed in the large type too, not only in the header */
.answer-panel [data-testid="block-label"] { position: static; }
.answer-panel.unsure .output-class { color: #b45309; }
.answer-panel.unsure .output-class::before { content: "⚠ "; }
.answer-panel.unsure .confidence-set { opacity: 0.6; }
"""


def api_errors(fn):
    """API endpoints: a UserError becomes a plain error message for the client; anything else
    is logged here and reaches the client as "something went wrong", never as its own text
    (Gradio shows an exception's text to the client, show_error=True, which a trace or a path
    in it must not reach)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except gr.Error:
            raise
        except Exception:
            logger.exception("the API's %s failed", fn.__name__)
            raise gr.Error(str(UserError("error_unexpected")), print_exception=False) from None

    return wrapper


def build_page(core, mcp=False):
    """The page: its root holds only the visitor's state, the language and the API endpoints,
    so that an API call's session copies a few components' configs; the rest is drawn for each
    visitor (gr.render) in their language, and drawn again when they switch."""
    with gr.Blocks(title="headline-lens", analytics_enabled=False, delete_cache=(3600, 3600)) as page:
        state = gr.State(None)
        redraw = gr.State(0)  # bumped to draw the page again (Train's "Open in Predict": a new model)
        with gr.Row(equal_height=True, elem_id="header"):
            gr.Markdown("# headline-lens", elem_id="title")
            language = gr.Dropdown(
                choices=[(v, k) for k, v in LANGUAGES.items()],
                value=None,
                label=" ",
                scale=0,
                min_width=200,
                elem_id="language",
            )  # set on load
        # An empty figure, out of sight, so that the browser loads its plotting code while the
        # page opens, not when the visitor's first figure arrives.
        gr.Plot(go.Figure(layout=dict(template="none")), show_label=False, container=False, elem_id="plotly-warmup")

        @gr.render(inputs=[state, language], triggers=[language.change, redraw.change])
        def draw(v, lang):
            if lang:  # once the page knows the visitor (on load), and at each switch
                draw_page(core, state, language, replace(v or Visitor(), lang=lang), redraw)

        def on_load(request: gr.Request):
            v = visitor_from_link(core, request)
            return v, v.lang

        page.load(on_load, None, [state, language], **PAGE_EVENT)
        # the document says which language it is in (screen readers, the browser's offer to translate)
        language.change(None, language, None, js="(lang) => { document.documentElement.lang = lang; }")
        add_api(core, mcp)
    return page


def shown_tabs(core):
    """{tab id: tab type} of the tabs this app shows: the six, Review with --review (and
    corrections kept), Train with --allow-training."""
    tabs = dict(TABS)
    if core.review and core.corrections is not None:
        tabs["review"] = ReviewTab
    if core.training is not None:
        tabs["train"] = TrainTab
    return tabs


def draw_page(core, state, language, v, redraw=None):
    """Every part of the page below the header, in v's language; its views, drawn from v,
    arrive right after (a timer's first tick), so that the page shows at once. redraw: the
    page's redraw counter (build_page's), which Train's "Open in Predict" bumps."""
    redraw = redraw if redraw is not None else gr.State(0)
    words = Words(v.lang)
    ours, reference = best_accuracy(core.registry), max(acc for _, acc in PUBLISHED)
    words(gr.Markdown, ("value", "intro", {"ours": f"{ours:.1%}" if ours else "—", "reference": f"{reference:.1%}"}))
    words(gr.Markdown, ("value", "privacy" if core.corrections is None else "privacy_feedback"))
    problems = "  \n".join(text("warning", v.lang, text=p) for p in core.registry.problem_lines(v.lang))
    gr.Markdown(problems, visible=bool(problems))
    tabs = {}
    with gr.Tabs(selected=v.tab) as tab_row:
        for tab_id, tab_type in shown_tabs(core).items():
            with words(gr.Tab, ("label", "tab_" + tab_id), id=tab_id) as tab:
                tabs[tab_id] = tab_type(core, words)
            tab.select(lambda v, tab_id=tab_id: replace(v, tab=tab_id), state, state, **PAGE_EVENT)
    with gr.Row():
        link_button = words(gr.Button, ("value", "copy_link"), size="sm", scale=0, min_width=220)
        link = words(
            gr.Textbox,
            ("label", "link_label"),
            buttons=["copy"],
            interactive=False,
            scale=4,
            show_label=False,
            elem_id="link",
        )
    predict, inside = tabs["predict"], tabs["inside"]
    for tab in tabs.values():
        if tab is tabs["map"] or tab is tabs["evaluate"]:  # a map point, a cell's headline: opened in Inside
            tab.wire(state, inside, tab_row)
        elif isinstance(tab, TrainTab):
            others = {name: other for name, other in tabs.items() if other is not tab}
            tab.wire(state, redraw, lambda lang, others=others: picker_updates(others, lang))
        elif hasattr(tab, "wire"):
            tab.wire(state)
    link_button.click(lambda v: link_of(v), state, link, **PAGE_EVENT).then(
        None, link, link, js=FULL_LINK_JS, **PAGE_EVENT
    )

    def fill(visitor, names):
        out = {}
        for name in names:
            out = merge(out, answer(tabs[name], state, visitor))
            visitor = out[state]
        return out

    # The open tab comes drawn with its views (from kept results where they were computed
    # before) and the inputs the visitor asked with; files, and the other tabs, right after.
    opened = {predict.chosen: list(v.models), inside.model: v.inside_model}
    for box, asked in ((predict.headline, v.headline), (inside.headline, v.inside_headline)):
        if asked:  # what the visitor asked with (a link's headline); a box being typed in stays as it is
            opened[box] = asked
    opened = merge(opened, fill(v, [v.tab]))
    drawn = opened.pop(state)
    later = {c: u for c, u in opened.items() if isinstance(c, (gr.File, gr.DownloadButton))}
    for component, update in opened.items():
        if component not in later:
            show(component, update)

    def fill_other_tabs():
        """The other tabs' views; the language's label last says the page is complete."""
        out = merge(later, fill(drawn, [name for name in tabs if name != v.tab]))
        # the browser keeps a box's value across a redraw: a link made before a switch of
        # language would stay, in the old language, until clicked again
        return {
            **out,
            link: "",
            timer: gr.Timer(active=False),
            language: gr.update(label=text("language", v.lang)),
        }

    timer = gr.Timer(0.01)
    views = [view for tab in tabs.values() for view in tab.views]
    timer.tick(fill_other_tabs, None, [timer, state, language, link, *views], trigger_mode="once", **PAGE_EVENT)


def picker_updates(tabs, lang):
    """{picker: its choices as the models now loaded} of every tab that has one: what a change
    of the models served (ModelRegistry.add_folder, remove_folder) must redraw."""
    return merge(*(tab.refresh(lang) for tab in tabs.values() if hasattr(tab, "refresh")))


def show(component, update):
    """Draw component with what an event's update would give it (its value as the component
    shows values: postprocessed)."""
    props = dict(update) if isinstance(update, dict) else {"value": update}
    props.pop("__type__", None)
    if "value" in props:
        value = component.postprocess(props.pop("value"))
        component.value = value.model_dump() if hasattr(value, "model_dump") else value
    for prop, value in props.items():
        setattr(component, prop, value)


def link_of(v):
    """The query of a link to the visitor's view."""
    if v.tab == "inside":
        models = [v.inside_model] if v.inside_model else []
        return link_query("inside", v.inside_headline, models, v.lang, v.topic, v.rather_than)
    if v.tab == "predict":
        return link_query("predict", v.headline, v.models, v.lang)
    return link_query(v.tab, lang=v.lang)


def visitor_from_link(core, request):
    """The visitor a link (or a plain visit) opens: its tab, models and headline analysed, in
    its language, else the browser's."""
    asked = read_link(dict(request.query_params), core.model_names())
    if asked["tab"] not in shown_tabs(core):  # ?tab=train on an app that does not train
        asked["tab"] = "predict"
    default_models = tuple(core.model_names()[:2])
    singles = core.model_names(ensemble=False)
    first_model = singles[0] if singles else ""
    lang = asked["lang"] or language_for(request.headers.get("accept-language"))
    v = Visitor(lang=lang, tab=asked["tab"], models=tuple(asked["models"] or default_models), inside_model=first_model)
    headline, models = asked["headline"], asked["models"]
    if asked["tab"] == "predict" and headline:
        v = replace(v, headline=headline, predicted=True)
    if asked["tab"] == "inside":
        model = models[0] if models and models[0] != ENSEMBLE else first_model
        shape = core.registry.rnn_shape(model)
        v = replace(
            v,
            inside_model=model,
            layer=(shape or (2,))[0],
            inside_headline=headline,
            looked=bool(headline),
            **read_topics(dict(request.query_params)),
        )
    return v


def add_api(core, mcp=False):
    """/predict, /inspect, /evaluate, /flag and /models for gradio_client: plain JSON in, plain
    JSON out. Any model loaded may be named: a shipped one, or NAME/MODEL of models/NAME. mcp:
    the app serves them as MCP tools too (app.py --mcp)."""

    @api_errors
    def api_predict(headline: str, model: str = "TextCNN", top_k: int = 5) -> dict:
        """Top classes of a headline with calibrated probabilities, and the verdict."""
        return api.predict_answer(core, headline, model, top_k)

    @api_errors
    def api_inspect(headline: str, model: str = "BiLSTM-attention", topic: str = "", rather_than: str = "") -> dict:
        """Per-character weights (attention or n-gram contribution), occlusion, and for a
        network integrated gradients with their convergence delta, explaining topic (a class
        name; empty: the answer), or topic rather than rather_than (empty: none)."""
        return api.inspect_answer(core, headline, model, topic, rather_than)

    @api_errors
    def api_evaluate(model: str = "TextCNN") -> dict:
        """Accuracy, macro-F1, ECE and the confusion matrix on the model's test split
        (THUCNews's; NAME/test.tsv for a model NAME/MODEL of your own)."""
        return api.evaluate_answer(core, model)

    @api_errors
    def api_models() -> list:
        """The models served: [{"name", "classes", "kind", "folder"}], folder null for the
        shipped ones; classes are the label names each model answers with."""
        return api.models_answer(core)

    @api_errors
    def api_flag(headline: str, model: str, topic: str, request: gr.Request) -> int:
        """Keep a correction: model's answer to headline is wrong, the right topic is topic
        (a class name as in class.txt, e.g. "sports", or the topic as the page shows it in
        any language, e.g. "体育"). Returns the stored record's id."""
        record_id, _ = api.flag_answer(core, headline, model, topic, request.session_hash)
        return record_id

    # The four that only read are MCP tools too (app.py --mcp), named and described for an
    # assistant by api.as_mcp_tool. Gradio makes every endpoint in the API docs a tool, and /flag
    # needs a person: with MCP served it leaves the docs (gradio_client and HTTP still call it).
    gr.api(api.as_mcp_tool(core, "predict", api_predict), api_name="predict")
    gr.api(api_flag, api_name="flag", api_visibility="undocumented" if mcp else "public")
    gr.api(api.as_mcp_tool(core, "models", api_models), api_name="models")
    gr.api(
        api.as_mcp_tool(core, "inspect", api_inspect),
        api_name="inspect",
        concurrency_id="inspect",
        concurrency_limit=None,
    )
    gr.api(
        api.as_mcp_tool(core, "evaluate", api_evaluate),
        api_name="evaluate",
        concurrency_id="evaluate",
        concurrency_limit=None,
    )
