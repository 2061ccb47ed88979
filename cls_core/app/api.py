"""The app's API (gradio_client, or plain HTTP): /predict, /inspect and /evaluate answer
with plain JSON, English class names and stable reason codes, whatever the page's language;
/flag keeps a visitor's correction and answers with its record's id; /models lists the
models served. A model of your own is named NAME/MODEL and answers with its own labels.

With app.py --mcp, the four that only read are MCP tools too (as_mcp_tool): classify_headline,
explain_headline, evaluate_model and list_models. /flag is none: a correction needs a person."""

import functools
from dataclasses import dataclass

from cls_core.app.inputs import MAX_CHARS
from cls_core.app.views.evaluate import evaluation_report
from cls_core.app.views.inside import inspect_with_gradients
from cls_core.app.views.overview import sources_of
from cls_core.app.views.predict import predict
from cls_core.app.wording import UserError

REPORT_FIELDS = ("model", "headlines", "accuracy", "macro_f1", "ece", "nll", "confusion")


def predict_answer(demo, headline, model, top_k=5):
    """/predict: the top classes with calibrated probabilities, and the verdict."""
    headline, notice, results = predict(demo, headline, [model], top_k)
    top, ms, verdict = results[model]
    return {
        "headline": headline,
        "notice": notice,
        "model": model,
        "top": top,
        "milliseconds": ms,
        "read_as": verdict["read_as"],
        "unsure": verdict["unsure"],
        "reason": verdict["reason"],
        "unknown_share": verdict["unknown_share"],
    }


def inspect_answer(demo, headline, model, topic="", rather_than=""):
    """/inspect: per-character weights and occlusion, and for a network integrated
    gradients (one float per character of the text as read) with Captum's convergence
    delta (in logits); both None for the linear model, whose n-gram scores are exact.
    topic, rather_than: class names ("": the answer, and none); what is explained is the
    topic's logit, or logit(topic) - logit(rather_than), occlusion its drop (UserError for
    a name the model does not answer with, or a topic compared with itself)."""
    r, ig = inspect_with_gradients(demo, headline, model, topic, rather_than)
    return {
        "headline": r["text"],
        "class": r["class"],
        "probability": r["probability"],
        "topic": r["topic"],
        "rather_than": r["rather_than"],
        "weights": r["weights"],
        "occlusion": r["occlusion"],
        "integrated_gradients": None if ig is None else [round(float(v), 5) for v in ig["scores"]],
        "ig_delta": None if ig is None else ig["ig_delta"],
    }


def evaluate_answer(demo, model):
    """/evaluate: accuracy, macro-F1, ECE, NLL and the confusion matrix on the model's test
    split (its own, models/NAME/test.tsv, for a model of yours)."""
    report = evaluation_report(demo, model)
    return {k: report[k] for k in REPORT_FIELDS}


def models_answer(demo):
    """/models: [{"name", "classes", "kind", "folder", "sources"}] of every model served,
    ensembles included (kind "ensemble"); folder is None for the shipped ones; sources: what
    it learned from ({"data", "headlines", "weight"}, an ensemble its members')."""
    registry = demo.registry
    out = []
    for name in registry.names():
        predictor = registry.predictor(name)
        sources = {}
        for member in registry.members(name):
            for source in sources_of(registry.predictor(member)):
                sources.setdefault(source["data"], source)
        out.append(
            {
                "name": name,
                "classes": list(predictor.classes),
                "kind": predictor.kind,
                "folder": registry.folder_of(name),
                "sources": list(sources.values()),
            }
        )
    return out


def flag_answer(demo, headline, model, topic, session=None):
    """/flag: keep "model's answer to headline is wrong, it is topic" (a class name as in
    class.txt, or the topic as the page shows it in any language); (record id, Correction).
    `session` (the Gradio session hash) is only counted, in memory, for the rate limit."""
    if demo.corrections is None:
        raise UserError("error_feedback_off")
    return demo.corrections.flag(demo, headline, model, topic, session)


# --- the same endpoints as MCP tools (app.py --mcp) -------------------------------------------
# An AI assistant knows a tool only by its name and its description. Gradio names the tool of an
# endpoint after the function that serves it (its __name__) and describes it by that function's
# docstring: the lines before "Args:", then "Returns:" and what follows; each argument by its
# line under "Args:". Gradio reads one line per argument, so the docstrings are composed here
# from texts that the source may wrap.


@dataclass(frozen=True)
class ToolText:
    """What an assistant reads of one tool; {models}, {explainable}, {topics} and {max_chars}
    are filled in from the models served."""

    name: str
    summary: str
    args: dict[str, str]
    returns: str

    def docstring(self, **facts):
        lines = [self.summary.format(**facts), ""]
        if self.args:
            lines += ["Args:", *(f"    {arg}: {text.format(**facts)}" for arg, text in self.args.items())]
        return "\n".join([*lines, "Returns:", f"    {self.returns.format(**facts)}"])


HEADLINE_ARG = (
    "The news headline, in Chinese (simplified or traditional), e.g. 国足3:0完胜泰国队. The first "
    "{max_chars} characters are read: a longer headline is cut, and the answer's notice says so."
)
TOOL_TEXTS = {  # by the endpoint's api_name
    "predict": ToolText(
        "classify_headline",
        "Classify a Chinese news headline into its news topic, with calibrated probabilities. "
        "The topics: {topics} (a model of your own, NAME/MODEL, answers with its own labels).",
        {
            "headline": HEADLINE_ARG,
            "model": "The model that reads it, one of: {models}; list_models gives the current list.",
            "top_k": "How many topics to answer with, the likeliest first (1 to the number of topics).",
        },
        "A dictionary: headline (as read), notice (what was done to the input, or empty), model, top "
        "({{topic: probability}}, the likeliest first; a topic is named in Chinese, then in English as "
        "above), milliseconds, read_as (the text after the model's own normalisation), unsure (true "
        "when the answer is not to be trusted), reason (a code saying why, or null) and unknown_share "
        "(the share of characters the model never saw in training).",
    ),
    "inspect": ToolText(
        "explain_headline",
        "Explain which characters of a Chinese news headline made a model choose its topic, or another "
        "topic, or one topic rather than another (why stocks rather than finance?). The topics: {topics}.",
        {
            "headline": HEADLINE_ARG,
            "model": "The model to look inside, one of: {explainable} (a single model, not an ensemble).",
            "topic": "The topic to explain, as an English topic name (e.g. stocks); empty: the model's answer.",
            "rather_than": "A second topic, as an English topic name (e.g. finance), to explain the first "
            "one against: what tells the two apart; empty: none.",
        },
        "A dictionary: headline (as read), class (the topic the model answers), probability, topic (the "
        "topic explained), rather_than (the topic it is explained against, or null), weights ([character, "
        "score] pairs scaled to -1..1: the BiLSTM's attention, or the n-grams' contribution for TextCNN "
        "and the linear model), occlusion ([character, score] pairs: how much the topic's probability "
        "drops without it, or with rather_than the logit difference, scaled alike), integrated_gradients "
        "(one per character, summing to the change of the topic's logit, or of the logit difference) and "
        "ig_delta (their convergence error, in logits); both null for the linear model, whose scores are exact.",
    ),
    "evaluate": ToolText(
        "evaluate_model",
        "Measure a model on its test split of labelled headlines (THUCNews's for the shipped models, "
        "NAME/test.tsv for a model of your own NAME/MODEL); the first call for a model may take a minute, "
        "later ones answer at once. The topics: {topics}.",
        {"model": "The model to measure, one of: {models}; list_models gives the current list."},
        "A dictionary: model, headlines (how many were read), accuracy, macro_f1, ece (expected "
        "calibration error), nll (negative log-likelihood) and confusion (rows: true topic, "
        "columns: predicted topic, in the model's topic order).",
    ),
    "models": ToolText(
        "list_models",
        "List the models served, each with the topics it answers with.",
        {},
        "A list of dictionaries: name (what the other tools take as model), classes (its topics, "
        "in order), kind, folder (null for the shipped models) and sources (what it learned from).",
    ),
}


def as_mcp_tool(demo, api_name, endpoint):
    """The function serving /api_name, as an MCP tool: named and described for an assistant
    (TOOL_TEXTS; the models listed are those served as the app starts), called as it is. Its
    parameters, and so the endpoint's, stay the function's own."""
    text = TOOL_TEXTS[api_name]

    @functools.wraps(endpoint)
    def tool(*args, **kwargs):
        return endpoint(*args, **kwargs)

    tool.__name__ = tool.__qualname__ = text.name
    tool.__doc__ = text.docstring(
        models=", ".join(demo.model_names()),
        explainable=", ".join(demo.model_names(ensemble=False)),
        topics=", ".join(demo.classes) or "each model's own (list_models)",
        max_chars=MAX_CHARS,
    )
    return tool
