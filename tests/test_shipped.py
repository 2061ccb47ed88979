"""The shipped checkpoints load safely and reach the test accuracy recorded in them (on the
published test split: data/demo/'s copy on a fresh clone)."""

import json

import pytest

from cls_core.data import KNOWN_FILES, load_split
from cls_core.evaluation.evaluate import evaluate
from cls_core.models.checkpoint import load_checkpoint
from cls_core.models.predictor import SHIPPED_MODELS, Predictor, load_predictor

FILES = list(SHIPPED_MODELS.values())


@pytest.fixture(scope="module")
def test_split(data_dir):
    return load_split(data_dir, "test")


@pytest.mark.parametrize("name", FILES)
def test_shipped_checkpoint_reaches_its_recorded_accuracy(checkpoint_dir, test_split, name):
    path = checkpoint_dir / name
    assert path.stat().st_size < 25e6
    predictor = Predictor.load(path, device="cpu")
    recorded = predictor.metrics["test"]
    report = evaluate(predictor, test_split, with_predictions=False)
    assert report["headlines"] == 10_000
    assert report["accuracy"] == pytest.approx(recorded["accuracy"], abs=0.001)
    assert report["accuracy"] > 0.8782  # above the reference project's best network here
    assert report["ece"]["after"] <= report["ece"]["before"]
    if name.endswith(".pt"):
        payload = load_checkpoint(path)  # weights_only=True inside
        # trained on the published split (test_data checks KNOWN_FILES against it where it is)
        assert payload["train_sha256"] == KNOWN_FILES["train.txt"][1]
        assert (checkpoint_dir / name.replace(".pt", ".log.jsonl")).exists()


def test_shipped_ensemble_reaches_its_recorded_accuracy(checkpoint_dir, test_split):
    recorded = json.loads((checkpoint_dir / "ensemble.metrics.json").read_text())
    ensemble = load_predictor([checkpoint_dir / f for f in FILES], device="cpu")
    report = evaluate(ensemble, test_split, with_predictions=False)
    assert report["accuracy"] == pytest.approx(recorded["test"]["accuracy"], abs=0.001)


def test_every_example_on_the_page_is_answered_as_its_topic_by_every_model(demo):
    """Examples show what the models do: each is answered its topic by every shipped model
    and the ensemble (the page's second example used to get 股票 from three of four)."""
    from cls_core.app.tabs.predict import EXAMPLES

    topics = ["sports", "finance", "realty", "game", "entertainment", "education", "science", "stocks"]
    assert len(EXAMPLES) == len(topics)
    for name in demo.model_names():
        predictor = demo.predictor(name)
        answers = [predictor.classes[int(p.argmax())] for p in predictor.predict_proba(EXAMPLES)]
        assert answers == topics, name
