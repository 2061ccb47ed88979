"""The Predict tab: a headline, the chosen models' answers side by side, a random test
headline with its true label, examples, and a file of headlines predicted at once."""

from dataclasses import replace

import gradio as gr

from cls_core.app.concurrency import PREDICT_EVENT
from cls_core.app.inputs import MAX_CHARS
from cls_core.app.tabs.common import answer, hidden, hint_update
from cls_core.app.tabs.correct import CorrectionBox
from cls_core.app.views.predict import (
    answer_panels,
    batch_message,
    predict,
    predict_batch,
    random_test_headline,
    truth_line,
)
from cls_core.app.wording import UserError

# One headline of each of eight topics, each answered so by every shipped model and their
# ensemble (tests/test_shipped.py): an example shows what the models do. (央行宣布下调存款准备金率,
# which a model answers stocks, is a hard case of finance against stocks, not an example.)
EXAMPLES = [
    "国足3:0完胜泰国队 晋级世界杯预选赛下一阶段",
    "银行理财收益率持续走低 保险产品受追捧",
    "北京东五环新盘开盘 均价每平米2.8万元",
    "《魔兽世界》新资料片下月上线",
    "周杰伦新专辑首发 歌迷排队数小时",
    "教育部：明年高考报名人数预计突破千万",
    "苹果发布新一代iPhone 搭载自研芯片",
    "沪指放量大涨2% 券商股集体涨停",
]
PANEL = ["answer-panel"]  # each model's answer (page.CSS: its header above the answer, an unsure one marked)
BATCH_HINT = "predict_batch"  # the hint of a batch file that could not be predicted, shown beside its upload


class PredictTab:
    name = "predict"

    def __init__(self, core, words):
        self.core = core
        names = core.model_names()
        self.default_models = tuple(names[:2])
        with gr.Row(elem_classes="ask"):
            self.headline = words(
                gr.Textbox,
                ("label", "headline_label", {"n": MAX_CHARS}),
                ("placeholder", "headline_placeholder"),
                interactive=True,
                lines=1,
                max_lines=3,
                scale=3,
                min_width=300,
                elem_id="headline",
            )
            self.chosen = words(
                gr.CheckboxGroup,
                ("label", "models_label"),
                interactive=True,
                choices=core.registry.choices(words.lang),
                value=list(self.default_models),
                scale=2,
                min_width=300,
            )
        with gr.Row():
            self.predict_button = words(gr.Button, ("value", "predict_button"), variant="primary")
            self.random_button = words(gr.Button, ("value", "random_button"))
        self.hint = gr.Markdown(visible=False, elem_classes="hint")
        self.truth = gr.Markdown(elem_classes="verdicts")
        self.note = gr.Markdown()
        with gr.Row(equal_height=True):
            self.panels = [gr.Label(num_top_classes=5, visible=False, elem_classes=PANEL) for _ in names]
        self.correct = CorrectionBox(core, words, "predict")
        self.examples = words(
            gr.Dataset,
            ("label", "examples_label"),
            components=[gr.Textbox(render=False)],
            samples=[[e] for e in EXAMPLES],
            type="index",
        )
        with words(gr.Accordion, ("label", "batch_title"), open=False):
            words(gr.Markdown, ("value", "upload_label"))
            # any file: a wrong one is worded beside the button in the page's language (batch.read_lines),
            # not refused by Gradio with a toast in English
            self.upload = words(gr.UploadButton, ("label", "upload_button"), elem_id="batch-upload")
            self.batch_message = gr.Markdown(elem_id="batch-message")
            self.batch_file = words(gr.File, ("label", "batch_download"), visible=False)
        self.views = [
            self.hint,
            self.truth,
            self.note,
            *self.panels,
            self.batch_message,
            self.batch_file,
            *self.correct.views,
        ]

    def render(self, v):
        lang = v.lang
        out = {
            self.hint: hint_update(v, self.name),
            self.truth: "",
            self.note: "",
            **{panel: hidden() for panel in self.panels},
            **self.correct.render(lang, "", []),
        }
        if v.predicted:
            read, notice, results = predict(self.core, v.headline, list(v.models), lang=lang)
            out[self.note], items = answer_panels(read, notice, results, lang)
            judged = [m for m in v.models if v.truth in self.core.classes_of(m)]  # of the headline's label set
            out[self.truth] = truth_line(v.truth, results, lang, judged) if v.truth else ""
            unsure = [verdict["unsure"] for _, _, verdict in results.values()]
            for panel, (label, value), doubt in zip(self.panels, items, unsure):
                # an unsure answer looks unsure at a glance, not only in the small header (CSS: .unsure)
                classes = [*PANEL, "unsure"] if doubt else PANEL
                out[panel] = gr.update(visible=True, value=value, label=label, elem_classes=classes)
            out.update(self.correct.render(lang, v.headline, list(v.models), v.acknowledged))
        if BATCH_HINT in v.hints:
            out[self.batch_message], out[self.batch_file] = hint_update(v, BATCH_HINT)["value"], hidden()
        elif v.batch:
            path, n, skipped, names = v.batch
            out[self.batch_message] = batch_message(n, skipped, names, lang)
            out[self.batch_file] = gr.update(value=path, visible=True)
        else:
            out[self.batch_message], out[self.batch_file] = "", hidden()
        return out

    def refresh(self, lang):
        """The model picker's choices as the models now loaded (models come and go)."""
        return {self.chosen: gr.update(choices=self.core.registry.choices(lang))}

    @staticmethod
    def forget(v):
        return replace(v, predicted=False)

    def wire(self, state):
        outputs = [state, *self.views]

        def ask(v, headline, models, truth=""):
            return answer(
                self,
                state,
                v,
                lambda v: replace(v, headline=headline, models=tuple(models or ()), truth=truth, predicted=True),
            )

        def on_random(v, models):  # from the test split of the first model chosen
            models = models or self.default_models
            headline, truth = random_test_headline(self.core, name=models[0] if models else None)
            return {self.headline: headline, **ask(v, headline, models, truth)}

        def on_example(v, index, models):
            return {self.headline: EXAMPLES[index], **ask(v, EXAMPLES[index], models)}

        def on_upload(v, path, models):
            def change(v):
                try:
                    result = predict_batch(self.core, path, list(models or ()), v.lang)
                except UserError as e:  # said beside the upload, not at the top of the tab
                    return replace(v.with_hint(BATCH_HINT, e), batch=())
                batch = (str(result.path), result.headlines, result.skipped, tuple(models))
                return replace(v.without_hint(BATCH_HINT), batch=batch)

            return answer(self, state, v, change)

        self.correct.wire(state, lambda v: v.headline if v.predicted else "")
        gr.on(
            [self.predict_button.click, self.headline.submit],
            ask,
            [state, self.headline, self.chosen],
            outputs,
            **PREDICT_EVENT,
        )
        self.random_button.click(on_random, [state, self.chosen], [self.headline] + outputs, **PREDICT_EVENT)
        self.examples.click(on_example, [state, self.examples, self.chosen], [self.headline] + outputs, **PREDICT_EVENT)
        self.upload.upload(on_upload, [state, self.upload, self.chosen], outputs, **PREDICT_EVENT)
