"""headline-lens: classify Chinese news headlines and look inside the models.

    python app.py                      # http://127.0.0.1:7860, the shipped checkpoints
    python app.py --share              # plus a public link
    python app.py --auth user:secret   # require a login (or set APP_AUTH)

The UI layer only: every value shown comes from cls_core.service.Demo.
"""

import argparse
import os
import sys

import gradio as gr

from cls_core import figures
from cls_core.data import CLASS_GLOSS, resolve_data_dir
from cls_core.service import ENSEMBLE, MAX_CHARS, PUBLISHED, Demo, UserError, read_as_notice, verdict_text

EXAMPLES = ["国足3:0完胜泰国队 晋级世界杯预选赛下一阶段", "央行宣布下调存款准备金率0.5个百分点",
            "北京东五环新盘开盘 均价每平米2.8万元", "《魔兽世界》新资料片下月上线", "周杰伦新专辑首发 歌迷排队数小时",
            "教育部：明年高考报名人数预计突破千万", "苹果发布新一代iPhone 搭载自研芯片", "沪指放量大涨2% 券商股集体涨停"]
SLOTS = 4  # result panels on the Predict tab (three models + the ensemble)
WINDOW_SLOTS = 3  # highlighted texts for the TextCNN's window sizes


def friendly(fn):
    """Show a UserError as a message in the page, never as a trace."""
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            raise gr.Error(str(e), print_exception=False) from None
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


def build_app(demo_core):
    names = demo_core.model_names()
    singles = demo_core.model_names(ensemble=False)
    classes = next(iter(demo_core.models.values())).classes if demo_core.models else []

    # --- handlers: thin adapters from widgets to Demo ------------------------------------
    def slot_updates(items, slots):
        """Fill the first len(items) of `slots` hidden components with (label, value); hide the rest."""
        updates = [gr.update(visible=False, value=None) for _ in range(slots)]
        for slot, (label, value) in enumerate(items[:slots]):
            updates[slot] = gr.update(visible=True, value=value, label=label)
        return updates

    def panel_updates(text, notice, results):
        items = [(f"{name} · {verdict_text(verdict)} · {ms:.1f} ms", top)
                 for name, (top, ms, verdict) in results.items()]
        notes = [f"**Note:** {n}" for n in (notice, read_as_notice(text, results)) if n]
        return ["  \n".join(notes)] + slot_updates(items, SLOTS)

    @friendly
    def on_predict(text, chosen):
        if not chosen:
            raise UserError("Choose at least one model.")
        text, notice, results = demo_core.predict(text, chosen)
        return panel_updates(text, notice, results)

    @friendly
    def on_random(chosen):
        text, true_class = demo_core.random_test_headline()
        text, notice, results = demo_core.predict(text, chosen or names[:2])
        truth = figures.display_name(true_class)
        verdicts = []
        for name, (top, _, _) in results.items():
            guess = next(iter(top))
            verdicts.append(f"{name}: {'✓ right' if guess == truth else '✗ wrong (' + guess + ')'}")
        return [text, f"**True label:** {truth} — " + "; ".join(verdicts)] + panel_updates(text, notice, results)

    @friendly
    def on_batch(file):
        if file is None:
            raise UserError("Upload a .txt (one headline per line) or .csv file first.")
        path, n = demo_core.predict_file(file)
        return str(path), f"Predicted {n} headlines with {', '.join(names)}."

    @friendly
    def on_inside(text, name, layer, direction):
        r = demo_core.inside(text, name, layer, direction)
        summary = (f"**{name}** reads {len(r['text'])} characters and answers "
                   f"**{figures.display_name(r['class'])}** ({r['probability']:.1%}).")
        if r["notice"]:
            summary += f"  \n**Note:** {r['notice']}"
        is_rnn = r["hidden_plot"] is not None
        windows = slot_updates([(f"Winning n-grams, {label}", pairs) for label, pairs in r["windows"]], WINDOW_SLOTS)
        return (summary, gr.update(value=r["weights"], label=r["weights_label"]), *windows, r["occlusion"],
                r["weights_plot"], r["occlusion_plot"], r["reading_plot"],
                gr.update(value=r["hidden_plot"], visible=is_rnn), gr.update(value=r["norm_plot"], visible=is_rnn),
                gr.update(value=r["table"], visible=not is_rnn))

    @friendly
    def on_evaluate(name, normalize, progress=gr.Progress()):
        progress(0, desc="Evaluating on the test split")
        report = demo_core.evaluate(name, progress=lambda f: progress(f, desc="Evaluating on the test split"))
        text = (f"**{name}** on {report['headlines']:,} test headlines: accuracy **{report['accuracy']:.2%}**, "
                f"macro-F1 **{report['macro_f1']:.2%}**, calibration error (ECE) {report['ece']['after']:.2%} "
                f"({report['seconds']:.1f} s to score).")
        return (text, demo_core.per_class_rows(report),
                figures.confusion_heatmap(report["confusion"], classes, normalize),
                confusion_table(report), figures.reliability_diagram(report["reliability"]),
                figures.coverage_chart(demo_core.coverage_curves()),
                str(demo_core.predictions_csv(report)), name)

    def confusion_table(report):
        return [[figures.display_name(c)] + row for c, row in zip(classes, report["confusion"])]

    @friendly
    def on_cell(name, true_name, predicted_name):
        if not name:
            raise UserError("Run an evaluation first.")
        report = demo_core.evaluate(name)
        by_display = {figures.display_name(c): c for c in classes}
        rows, total = demo_core.cell_headlines(report, classes, by_display[true_name], by_display[predicted_name])
        kind = "correct" if true_name == predicted_name else "mistakes, most confident first"
        return rows, f"{total} headlines: true {true_name}, predicted {predicted_name} ({kind})."

    def on_table_select(name, evt: gr.SelectData):
        row, col = evt.index
        if col == 0:
            raise gr.Error("Click a number in the table to list those headlines.", print_exception=False)
        true_name, predicted_name = figures.display_name(classes[row]), figures.display_name(classes[col - 1])
        return (true_name, predicted_name) + tuple(on_cell(name, true_name, predicted_name))

    @friendly
    def on_normalize(name, normalize):
        if not name:
            return None
        return figures.confusion_heatmap(demo_core.evaluate(name)["confusion"], classes, normalize)

    @friendly
    def on_disagree(progress=gr.Progress()):
        progress(0, desc="Scoring every model on the test split")
        model_names, rows, total = demo_core.disagreements()
        return gr.update(value=rows, headers=["headline", "true"] + model_names), \
            f"The models disagree on {total} of {len(demo_core.test_split()):,} test headlines (first {len(rows)} shown)."

    # --- API endpoints (gradio_client): plain JSON in, plain JSON out ---------------------
    def api_predict(headline: str, model: str = "TextCNN", top_k: int = 5) -> dict:
        """Top classes of a headline with calibrated probabilities."""
        text, notice, results = friendly(demo_core.predict)(headline, [model], top_k)
        top, ms, verdict = results[model]
        return {"headline": text, "notice": notice, "model": model, "top": top, "milliseconds": ms,
                "read_as": verdict["read_as"], "unsure": verdict["unsure"], "reason": verdict["reason"],
                "unknown_share": verdict["unknown_share"]}

    def api_inspect(headline: str, model: str = "BiLSTM-attention") -> dict:
        """Per-character weights (attention or n-gram contribution) and occlusion."""
        r = friendly(demo_core.inside)(headline, model)
        return {"headline": r["text"], "class": r["class"], "probability": r["probability"],
                "weights": r["weights"], "occlusion": r["occlusion"]}

    def api_evaluate(model: str = "TextCNN") -> dict:
        """Accuracy, macro-F1, ECE and the confusion matrix on the test split."""
        report = friendly(demo_core.evaluate)(model)
        return {k: report[k] for k in ("model", "headlines", "accuracy", "macro_f1", "ece", "nll", "confusion")}

    # --- layout -------------------------------------------------------------------------
    with gr.Blocks(title="headline-lens") as app:
        gr.Markdown("# headline-lens\nWhich of ten topics is a Chinese news headline about, and **why does a "
                    "model think so?** Three models trained on 45,000 THUCNews headlines: a BiLSTM with attention, "
                    "a TextCNN, and a classical TF-IDF + linear SVM.")
        if demo_core.problems:
            gr.Markdown("**Warning:** " + "  \n**Warning:** ".join(demo_core.problems))

        with gr.Tab("Predict"):
            with gr.Row():
                headline = gr.Textbox(label=f"Headline (up to {MAX_CHARS} characters)", lines=2, scale=3,
                                      placeholder="例如：国足3:0完胜泰国队")
                chosen = gr.CheckboxGroup(names, value=names[:2], label="Models (side by side)", scale=2)
            with gr.Row():
                predict_btn = gr.Button("Predict", variant="primary")
                random_btn = gr.Button("Random test headline")
            notice = gr.Markdown()
            truth = gr.Markdown()
            with gr.Row():
                panels = [gr.Label(num_top_classes=5, visible=i < 2, label="…") for i in range(SLOTS)]
            gr.Examples(EXAMPLES, inputs=headline)
            with gr.Accordion("Batch: a file of headlines → CSV of predictions", open=False):
                upload = gr.File(label=".txt (one headline a line) or .csv (a 'headline' column)",
                                 file_types=[".txt", ".csv"])
                batch_btn = gr.Button("Predict the file")
                batch_msg = gr.Markdown()
                batch_out = gr.File(label="predictions.csv")
            predict_btn.click(on_predict, [headline, chosen], [notice] + panels, api_visibility="private")
            headline.submit(on_predict, [headline, chosen], [notice] + panels, api_visibility="private")
            random_btn.click(on_random, [chosen], [headline, truth, notice] + panels, api_visibility="private")
            batch_btn.click(on_batch, [upload], [batch_out, batch_msg], api_visibility="private")

        with gr.Tab("Inside the model"):
            gr.Markdown("Pick a model and a headline. **Weights** show what the model looks at (attention for the "
                        "BiLSTM, winning n-grams for the TextCNN, exact n-gram scores for the linear model); "
                        "**occlusion** shows what actually changes its answer when a character is removed. "
                        "Red marks what pushes toward the predicted topic (or draws attention), blue what "
                        "pushes away; ␣ is a space.")
            with gr.Row():
                inside_text = gr.Textbox(label="Headline", value=EXAMPLES[0], scale=3)
                inside_model = gr.Radio(singles, value=singles[0] if singles else None, label="Model", scale=2)
            with gr.Row():
                layer = gr.Slider(1, 2, value=2, step=1, label="BiLSTM layer")
                direction = gr.Radio(["forward", "backward"], value="forward", label="BiLSTM direction")
                inside_btn = gr.Button("Look inside", variant="primary")
            inside_summary = gr.Markdown()
            weights = gr.HighlightedText(label="Weights", show_legend=False, combine_adjacent=False)
            window_texts = [gr.HighlightedText(visible=False, show_legend=False, combine_adjacent=False)
                            for _ in range(WINDOW_SLOTS)]
            occlusion = gr.HighlightedText(label="Occlusion: what changes the answer", show_legend=False,
                                           combine_adjacent=False)
            with gr.Row():
                weights_plot, occlusion_plot = gr.Plot(), gr.Plot()
            reading_plot = gr.Plot()
            hidden_plot, norm_plot = gr.Plot(), gr.Plot()
            ngram_table = gr.Dataframe(headers=["window", "n-gram", "filters won", "contribution"],
                                       label="Top n-grams", visible=False, interactive=False)
            inside_btn.click(on_inside, [inside_text, inside_model, layer, direction],
                             [inside_summary, weights, *window_texts, occlusion, weights_plot, occlusion_plot,
                              reading_plot, hidden_plot, norm_plot, ngram_table], api_visibility="private")

        with gr.Tab("Evaluate"):
            evaluated = gr.State(None)
            with gr.Row():
                eval_model = gr.Dropdown(names, value=names[0] if names else None, label="Model")
                normalize = gr.Checkbox(label="Row-normalised (share of each true class)")
                eval_btn = gr.Button("Evaluate on the test split", variant="primary")
            eval_summary = gr.Markdown("Scores every headline of the test split (10,000); the result is cached.")
            per_class = gr.Dataframe(headers=["class", "precision", "recall", "F1", "support"],
                                     label="Per class", interactive=False)
            confusion_plot = gr.Plot()
            gr.Markdown("Click a number in the table (or pick a cell below) to list those headlines.")
            # Columns carry the Chinese name only, so all ten fit; each row gives the full gloss.
            confusion = gr.Dataframe(headers=["true \\ predicted"] + [CLASS_GLOSS.get(c, c) for c in classes],
                                     label="Confusion matrix (counts)", interactive=False)
            with gr.Row():
                shown = [figures.display_name(c) for c in classes]
                cell_true = gr.Dropdown(shown, value=shown[0] if shown else None, label="True class")
                cell_pred = gr.Dropdown(shown, value=shown[min(2, len(shown) - 1)] if shown else None,
                                        label="Predicted class")
                cell_btn = gr.Button("List headlines")
            cell_msg = gr.Markdown()
            cell_rows = gr.Dataframe(headers=["headline", "true", "predicted", "probability"], interactive=False,
                                     wrap=True)
            reliability = gr.Plot()
            coverage_plot = gr.Plot()
            csv_out = gr.File(label="All test predictions (CSV)")
            with gr.Accordion("Where the models disagree", open=False):
                disagree_btn = gr.Button("Compare the three models")
                disagree_msg = gr.Markdown()
                disagree_rows = gr.Dataframe(interactive=False, wrap=True)
            eval_btn.click(on_evaluate, [eval_model, normalize],
                           [eval_summary, per_class, confusion_plot, confusion, reliability, coverage_plot, csv_out, evaluated],
                           concurrency_limit=1, concurrency_id="evaluate", api_visibility="private")
            normalize.change(on_normalize, [evaluated, normalize], [confusion_plot], api_visibility="private")
            cell_btn.click(on_cell, [evaluated, cell_true, cell_pred], [cell_rows, cell_msg], api_visibility="private")
            confusion.select(on_table_select, [evaluated], [cell_true, cell_pred, cell_rows, cell_msg],
                             api_visibility="private")
            disagree_btn.click(on_disagree, None, [disagree_rows, disagree_msg], concurrency_limit=1,
                               concurrency_id="evaluate", api_visibility="private")

        with gr.Tab("Overview"):
            build_overview(demo_core)

        gr.api(api_predict, api_name="predict")
        gr.api(api_inspect, api_name="inspect")
        gr.api(api_evaluate, api_name="evaluate", concurrency_limit=1, concurrency_id="evaluate")
    return app


def build_overview(demo_core):
    gr.Markdown(
        "## What this is\nA headline goes in; the models say which of ten topics it belongs to — finance, realty, "
        "stocks, education, science, society, politics, sports, game or entertainment — and how sure they are. "
        "The probabilities are *calibrated*: of the headlines a model calls 90 % sure, about 90 % are right.\n\n"
        "- **BiLSTM-attention** reads the headline character by character in both directions and learns which "
        "characters to pay attention to.\n- **TextCNN** slides small windows (2, 3 and 4 characters) over the "
        "headline and keeps the strongest match of each learned pattern.\n- **Linear (TF-IDF + SVM)** counts "
        "characters and character pairs and weighs them: the classical baseline every network must beat.\n"
        "- **Ensemble** averages the three models' probabilities.")
    counts = demo_core.class_counts()
    if counts:
        classes = next(iter(demo_core.models.values())).classes if demo_core.models else []
        gr.Markdown("## The data\nTHUCNews headlines (Tsinghua University): "
                    + ", ".join(f"{split} {sum(c):,}" for split, c in counts.items())
                    + " headlines, balanced over the ten topics.")
        gr.Dataframe([[figures.display_name(c)] + [counts[s][i] for s in counts] for i, c in enumerate(classes)],
                     headers=["class"] + list(counts), interactive=False, label="Headlines per class")
    else:
        gr.Markdown("The dataset is not present; see the README (`python -m cls_core.data fetch`).")
    rows = demo_core.model_rows()
    gr.Markdown("## The models")
    gr.Dataframe([[r[0], r[1], r[2], f"{r[3]:.2%}" if r[3] else "—", f"{r[4]:.2%}" if r[4] else "—"] for r in rows],
                 headers=["model", "parameters", "file MB", "test accuracy", "calibration error"],
                 interactive=False)
    bars = [(name, acc, "published figure, 4× our training data", False) for name, acc in PUBLISHED]
    bars += [(r[0], r[3], "shipped checkpoint, 45k training headlines", True) for r in rows if r[3]]
    if bars:
        gr.Plot(figures.accuracy_bars(bars, "Test accuracy: ours (45k training headlines) and the published reference"))
    for name in demo_core.models:
        log = demo_core.training_log(name)
        if log:
            gr.Plot(figures.training_curves(log, f"Training curves: {name}"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also serve a public gradio.live link")
    p.add_argument("--auth", default=os.environ.get("APP_AUTH"), help="USER:PASS login (or env APP_AUTH)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--checkpoints", default="checkpoints")
    p.add_argument("--data-dir", help="default: $CLS_DATA_DIR, then data/THUCNews")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not (sep and user and password):
            sys.exit("error: --auth takes USER:PASS")
        auth = (user, password)
    core = Demo.load(args.checkpoints, resolve_data_dir(args.data_dir), args.device)
    for problem in core.problems:
        print("warning:", problem, file=sys.stderr)
    if not core.models:
        sys.exit("error: no model could be loaded; see the warnings above")
    app = build_app(core)
    app.queue(default_concurrency_limit=4, max_size=64)
    launch = dict(server_name=args.host, server_port=args.port, auth=auth, show_error=True)
    try:
        app.launch(share=args.share, **launch)
    except Exception as e:  # no route to the share server: keep serving locally
        if not args.share:
            raise
        print(f"warning: the public link could not be made ({e}); serving locally only", file=sys.stderr)
        app.launch(share=False, **launch)


if __name__ == "__main__":
    main()
