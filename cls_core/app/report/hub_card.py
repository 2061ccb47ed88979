"""Share the models the Hugging Face Hub's way: each one a folder to upload as it is.

    python -m cls_core.export --hub hub                # hub/bilstm_att, hub/textcnn, hub/linear
    python -m cls_core.export --hub hub --model textcnn --model models/mine/linear.npz
    hf upload headline-lens/textcnn hub/textcnn .      # the upload: huggingface_hub's CLI, logged in

A folder holds model.safetensors and config.json (cls_core.models.hub: nothing in it is
unpickled) and README.md, a model card whose metadata (licence, datasets, tags, and a
model-index of the results on each test set) is written with huggingface_hub's ModelCard. A
model is named as its checkpoint is (textcnn.pt -> textcnn), on the Hub OWNER/NAME, by default
headline-lens/NAME. Predictor.load(folder), `python -m cls_core.predict --checkpoint FOLDER`,
`python app.py --checkpoints hub` and models/NAME/MODEL/ folders all serve such a folder.

The figures come from the checkpoint (THUCNews test, as training measured it) and from
outlets.json in --checkpoints (the other outlets), from its row for this very checkpoint (the
same sha256), if there is one.
"""

import argparse
import json
import sys
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from cls_core.app.i18n import CLASS_GLOSS
from cls_core.data.sources import source_name
from cls_core.models.checkpoint import CheckpointError
from cls_core.models.hub import save_folder
from cls_core.models.predictor import SHIPPED_MODELS, Predictor, shipped_path

OWNER = "headline-lens"  # the Hub organisation of the shipped models: headline-lens/textcnn
SHIPPED = {Path(file).stem: file for file in SHIPPED_MODELS.values()}  # bilstm_att, textcnn, linear
OUTLETS = "outlets.json"  # python -m cls_core.evaluation.outlets report --json checkpoints/outlets.json
TASK_TYPE, TASK_NAME = "text-classification", "Topic classification of Chinese news headlines"
# The test sets, as outlets.json names them -> (dataset id, dataset name, split) in the model-index.
# Ids, not Hub repositories: none of these sets is on the Hub.
TEST_SETS = {
    "test": ("thucnews", "THUCNews headlines", "test"),
    "toutiao-report": (
        "toutiao2018",
        "Toutiao 2018 headlines (never trained on; 8 channels mapped)",
        "dev, report half",
    ),
    "nlpcc-report": ("nlpcc2017", "NLPCC 2017 headlines (6 labels mapped)", "dev, report half"),
}
OUTLETS_NOTE = (
    "The other outlets' figures are those of their *report* halves, read once after every choice was made on dev "
    "and on their *fit* halves; a finance headline there counts as right when the answer is finance or stocks."
)
LICENCE = (
    "The code of headline-lens is Apache-2.0. These weights are marked `license: other` because what "
    "they learned from has no licence to pass on: THUCNews (Tsinghua University's NLP lab; news of "
    "Sina, 2005–2011) and the NLPCC 2017 headlines were published for research without a stated "
    "licence. Use the weights for research, and check the sources' terms before any other use."
)


def repo_id(name, owner=OWNER):
    """Where a model exported as `name` lives on the Hub: OWNER/NAME."""
    return f"{owner}/{name}"


def model_path(model, checkpoint_dir="checkpoints"):
    """The checkpoint (file or exported folder) of a shipped model's name, or a path given as it is."""
    if model in SHIPPED:
        return shipped_path(checkpoint_dir, SHIPPED[model])
    if Path(model).exists():
        return Path(model)
    raise CheckpointError(
        f"--model {model}: neither a shipped model ({', '.join(SHIPPED)}) nor a checkpoint file or model folder"
    )


# --- the figures --------------------------------------------------------------------------------


def outlet_figures(predictor, checkpoint_dir="checkpoints"):
    """outlets.json's figures for exactly this checkpoint ({} without a row of its sha256)."""
    path = Path(checkpoint_dir) / OUTLETS
    rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return next((row for row in rows.values() if row.get("sha256") == predictor.sha256), {})


def measured_figures(predictor, outlets):
    """{test set: {"accuracy", "headlines", where measured "macro_f1", "answered" (the share not
    flagged unsure) and "accuracy_answered"}}: THUCNews test as training measured it, then the
    other outlets' report halves."""
    figures = {name: dict(outlets[name]) for name in TEST_SETS if name in outlets}
    test = predictor.metrics.get("test") or {}
    if "accuracy" in test:
        recorded = {k: test[k] for k in ("accuracy", "macro_f1", "headlines") if k in test}
        figures["test"] = {**figures.get("test", {}), **recorded}
    return dict(sorted(figures.items(), key=lambda item: list(TEST_SETS).index(item[0])))


def own_file(predictor):
    """The labelled file a model of one's own was trained on (None for a THUCNews model)."""
    return ((predictor.extras.get("data") or {}).get("train_file") or {}).get("path")


def dataset_names(predictor, name):
    """(dataset id, dataset name, split) of a test set in the model-index."""
    if name == "test" and own_file(predictor):  # the test split of one's own file
        return "own", Path(own_file(predictor)).name, "test"
    return TEST_SETS[name]


def result(on, metric, value, name, config=None):
    """One figure of the model-index: a metric's value on a dataset (`on`: its type, name, split)."""
    return EvalResult(
        task_type=TASK_TYPE,
        task_name=TASK_NAME,
        metric_type=metric,
        metric_value=value,
        metric_name=name,
        metric_config=config,
        **on,
    )


def eval_results(predictor, outlets):
    """The model-index: accuracy on each test set, and macro-F1 where it was measured."""
    results = []
    for name, figures in measured_figures(predictor, outlets).items():
        dataset_type, dataset_name, split = dataset_names(predictor, name)
        on = {"dataset_type": dataset_type, "dataset_name": dataset_name, "dataset_split": split}
        results.append(result(on, "accuracy", figures["accuracy"], "Accuracy"))
        if "macro_f1" in figures:
            results.append(result(on, "f1", figures["macro_f1"], "Macro-F1", "macro"))
    return results


# --- the card -----------------------------------------------------------------------------------


def training_datasets(predictor):
    """The datasets a model learned from: THUCNews (unless a file of one's own) and the folder of
    each --extra-train source (nlpcc2017/train.tsv -> nlpcc2017)."""
    extra = [Path(e["path"]).parent.name for e in predictor.metrics.get("extra_train") or []]
    return list(dict.fromkeys(([] if own_file(predictor) else ["thucnews"]) + [d for d in extra if d]))


def card_data(predictor, repo, outlets):
    """The card's metadata: what the Hub shows beside the model and searches by."""
    own = own_file(predictor) is not None
    subject = ["text-classification"] if own else ["news", "headlines", "topic-classification", "thucnews"]
    framework = ["pytorch", predictor.kind] if predictor.linear is None else ["scikit-learn", "tf-idf", "linear-svm"]
    return ModelCardData(
        language="zh",
        license="other",
        license_name=None if own else "research-data-without-licence",  # see licence()
        library_name="headline-lens",  # loaded by this project's Predictor.load: neither transformers nor a pickle
        pipeline_tag="text-classification",
        datasets=training_datasets(predictor) or None,
        metrics=["accuracy", "f1"],
        tags=["chinese", *subject, "safetensors", *framework],
        model_name=repo,
        eval_results=eval_results(predictor, outlets) or None,
    )


def describe(predictor):
    """What the model is, in a sentence."""
    if predictor.linear is not None:
        return (
            f"TF-IDF of character 1–2-grams ({len(predictor.linear.features):,} of them, lowercased) "
            "and a linear SVM: one weight per n-gram and topic."
        )
    model = predictor.model
    chars, bigrams = model.embedding.chars, model.embedding.bigrams
    reads = f"each character read as a {chars.embedding_dim}-dimensional vector" + (
        f", joined to a {bigrams.embedding_dim}-dimensional one for the character bigram starting there"
        if bigrams is not None
        else ""
    )
    if predictor.kind == "textcnn":
        windows, filters = ", ".join(map(str, model.windows)), model.convs[0].out_channels
        return f"A TextCNN: {reads}; windows of {windows} characters, {filters} filters each, max-pooled."
    cell = type(model.rnns[0]).__name__
    return (
        f"A {'bidirectional ' if model.directions == 2 else ''}{cell} with attention: {reads}; "
        f"{len(model.rnns)} layers of {model.hidden} units per direction, additive attention over the characters."
    )


def results_table(predictor, outlets):
    """The figures on each test set as a Markdown table."""
    rows = [
        "| test set | split | headlines | accuracy | answered | accuracy of the answered |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in measured_figures(predictor, outlets).items():
        _, dataset_name, split = dataset_names(predictor, name)
        answered = f"{f['answered']:.1%}" if f.get("answered") is not None else "—"
        right = f"{f['accuracy_answered']:.2%}" if f.get("accuracy_answered") is not None else "—"
        rows.append(f"| {dataset_name} | {split} | {f['headlines']:,} | {f['accuracy']:.2%} | {answered} | {right} |")
    return "\n".join(rows)


def reading_line(predictor):
    """How the model reads text and turns scores into probabilities."""
    record = predictor.normalization
    if record is None:
        reads = "Text is read as written (a checkpoint older than the normalisation record)."
    else:
        reads = (
            f"Every text is first normalised as the training text was: `{record['name']}` (Unicode NFKC, invisible "
            f"characters dropped, OpenCC `{record.get('opencc_config')}`; OpenCC {record.get('opencc')}, "
            f"Unicode {record.get('unicode')})."
        )
    calibrated = f"Probabilities are softmax(scores / T) with T = {predictor.temperature:.4f}, fitted on dev"
    unsure = predictor.unsure_threshold
    if unsure is None:
        return f"{reads} {calibrated}."
    return f"{reads} {calibrated}; below a top probability of {unsure:.3f} the model says *unsure*."


def card_text(predictor, repo, outlets):
    """The card's Markdown under its metadata."""
    topics = "\n".join(f"| {i} | {c} | {CLASS_GLOSS.get(c, '')} |" for i, c in enumerate(predictor.classes))
    task = (
        f"Classifies a Chinese text into one of the {len(predictor.classes)} labels of its training file."
        if own_file(predictor)
        else f"Classifies a Chinese news headline into one of {len(predictor.classes)} topics."
    )
    trained_on = (
        f"a labelled file of one's own, `{Path(own_file(predictor)).name}`"
        if own_file(predictor)
        else "THUCNews headlines"
    )
    extra = ", ".join(
        f"`{source_name(e['path'])}` ({e['headlines']:,} headlines, weight {e.get('weight', 1)})"
        for e in predictor.metrics.get("extra_train") or []
    )
    return f"""
# {repo}

{task} {describe(predictor)}
Trained with headline-lens on {trained_on}{f", with {extra}" if extra else ""}.

| id | class | 中文 |
|---|---|---|
{topics}

## Use

The folder holds `model.safetensors` (the weights), `config.json` (sizes, vocabularies, classes, temperature,
unsure threshold, normalisation) and this card; nothing in it is unpickled. From a checkout of headline-lens:

```bash
hf download {repo} --local-dir {repo.split("/")[-1]}
python -m cls_core.predict "国足3:0胜泰国" --checkpoint {repo.split("/")[-1]}
```

```python
from cls_core.models.predictor import Predictor
Predictor.load("{repo.split("/")[-1]}").predict(["国足3:0胜泰国"], top_k=3)
```

{reading_line(predictor)}

## Results

{results_table(predictor, outlets)}

*answered*: the share not flagged unsure; *accuracy of the answered*: how often those answers are right.
{OUTLETS_NOTE if outlets else ""}

## Licence

{licence(predictor)}
"""


def licence(predictor):
    """Why the weights are `license: other`."""
    if own_file(predictor):
        return (
            f"The code of headline-lens is Apache-2.0. These weights learned from `{Path(own_file(predictor)).name}`: "
            "they are marked `license: other` until their owner states the licence that data allows."
        )
    return LICENCE


def model_card(predictor, repo, outlets):
    """The model card of a predictor, to be published on the Hub as repo."""
    data = card_data(predictor, repo, outlets)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{card_text(predictor, repo, outlets)}")


# --- the command --------------------------------------------------------------------------------


def export(path, out_dir, checkpoint_dir="checkpoints", owner=OWNER):
    """Export one checkpoint (file or folder) into out_dir/NAME; returns that folder."""
    predictor = Predictor.load(path, device="cpu", precision="fp32")
    name = Path(path).stem
    card = model_card(predictor, repo_id(name, owner), outlet_figures(predictor, checkpoint_dir))
    folder = Path(out_dir) / name
    save_folder(predictor, folder, CLASS_GLOSS, str(card))
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hub", required=True, metavar="OUT_DIR", help="write one folder per model here")
    parser.add_argument(
        "--model",
        action="append",
        help=f"a shipped model ({', '.join(SHIPPED)}), a checkpoint file or model folder; repeat (default: all three)",
    )
    parser.add_argument("--checkpoints", default="checkpoints", help="the shipped checkpoints and their outlets.json")
    parser.add_argument("--owner", default=OWNER, help="the Hub user or organisation the cards name (OWNER/NAME)")
    args = parser.parse_args(argv)
    try:
        paths = [model_path(m, args.checkpoints) for m in args.model or SHIPPED]
        names = [Path(p).stem for p in paths]
        if len(set(names)) < len(names):
            raise CheckpointError(f"two models would be exported under one name: {', '.join(names)}")
        for path in paths:
            folder = export(path, args.hub, args.checkpoints, args.owner)
            print(f"{path} -> {folder}  (hf upload {repo_id(folder.name, args.owner)} {folder} .)")
    except (CheckpointError, RuntimeError, OSError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
