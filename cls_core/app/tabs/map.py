"""The Map: every test headline as the vector a network reads, projected to two dimensions;
a click on a point (MAP_CLICK_JS) or a typed number opens that headline in Inside."""

from dataclasses import replace

import gradio as gr

from cls_core.app.concurrency import EVALUATE_EVENT, INSPECT_EVENT, PAGE_EVENT
from cls_core.app.i18n import text
from cls_core.app.tabs.common import answer, hidden, hint_update, shown
from cls_core.app.views.map import draw_map, numbered_headline
from cls_core.app.wording import UserError

# gr.Plot has no click event of its own; Plotly's graph div has one. A click puts the point's
# headline number in the box and presses "open".
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


class MapTab:
    name = "map"

    def __init__(self, core, words):
        self.core = core
        networks = core.registry.network_names()
        self.first_model = networks[0] if networks else ""
        words(gr.Markdown, ("value", "map_intro"))
        with gr.Row():
            self.model = words(
                gr.Radio,
                ("label", "map_model"),
                interactive=True,
                choices=core.registry.choices(words.lang, networks=True),
                value=self.first_model or None,
                scale=3,
                min_width=300,
            )
            self.button = words(gr.Button, ("value", "map_button"), variant="primary", scale=1)
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.summary = gr.Markdown()
        self.plot = gr.Plot(show_label=False, visible=False, elem_id="map-plot")
        with gr.Row():
            self.number = words(
                gr.Number,
                ("label", "map_open_label"),
                interactive=True,
                precision=0,
                minimum=0,
                value=None,
                elem_id="map-number",
                scale=3,
            )
            self.open_button = words(gr.Button, ("value", "map_open_button"), elem_id="map-open", scale=1)
        self.views = [self.hint, self.summary, self.plot, self.model]

    def render(self, v, progress=None):
        out = {self.hint: hint_update(v, self.name), self.summary: "", self.plot: hidden()}
        # the picker names the model whose map is shown (a page drawn anew, at a switch of
        # language, starts it at the first network)
        out[self.model] = gr.update(value=v.map_model or self.first_model or None)
        if v.map_model:
            stage = (
                (lambda fraction, what: progress(fraction, desc=text("stage_" + what, v.lang))) if progress else None
            )
            figure, out[self.summary] = draw_map(self.core, v.map_model, v.lang, progress=stage)
            out[self.plot] = shown(figure)
        return out

    def refresh(self, lang):
        """The network picker's choices as the models now loaded (models come and go)."""
        return {self.model: gr.update(choices=self.core.registry.choices(lang, networks=True))}

    @staticmethod
    def forget(v):
        return replace(v, map_model="")

    def wire(self, state, inside, tabs):
        outputs = [state, *self.views]

        def on_draw(v, model, progress=gr.Progress()):
            progress(0, desc=text("drawing_map", v.lang))
            return answer(self, state, v, lambda v: replace(v, map_model=model), progress=progress)

        def on_model(v):  # the old map goes at once; the new one is drawn next
            return {state: replace(v, map_model=""), self.plot: hidden(), self.summary: ""}

        def on_open(v, number, model):
            try:
                headline = numbered_headline(self.core, number, model)
            except UserError as e:
                v = v.with_hint(self.name, e)
                return {state: v, self.hint: hint_update(v, self.name)}
            return {
                tabs: gr.update(selected="inside"),
                **inside.opened(state, replace(v, tab="inside"), headline, model),
            }

        self.button.click(on_draw, [state, self.model], outputs, show_progress_on=[self.summary], **EVALUATE_EVENT)
        self.model.input(on_model, [state], [state, self.plot, self.summary], **PAGE_EVENT).then(
            on_draw, [state, self.model], outputs, show_progress_on=[self.summary], **EVALUATE_EVENT
        )
        self.open_button.click(
            on_open,
            [state, self.number, self.model],
            [tabs, inside.headline, inside.model, *outputs, *inside.views],
            **INSPECT_EVENT,
        )
