"""Models shared the Hugging Face Hub's way (`python -m cls_core.export --hub OUT_DIR`): each
folder loads alone, with the probabilities of the checkpoint it was exported from; it holds
nothing that is unpickled; its card's metadata says what the checkpoint's records say; and the
app serves it. Nothing reaches the Hub: the card is read back from the file."""

import json
import shutil

import numpy as np
import pytest
import safetensors
from conftest import shipped_lines
from huggingface_hub import ModelCard
from huggingface_hub.utils import validate_repo_id

from cls_core.app.registry import ModelRegistry, load_folder
from cls_core.app.report.hub_card import SHIPPED, main, repo_id
from cls_core.models.checkpoint import CheckpointError
from cls_core.models.hub import CARD, CONFIG, WEIGHTS
from cls_core.models.predictor import SHIPPED_MODELS, Predictor

TEXTS = [line.rpartition("\t")[0] for line in shipped_lines()]  # the shipped test split, 10,000 headlines


@pytest.fixture(scope="module")
def exported(checkpoint_dir, tmp_path_factory):
    """(OUT_DIR, {name: the copy's Predictor}): each shipped checkpoint copied out of checkpoints/,
    exported from the copy, the copy then deleted, so that a folder can only load from itself."""
    copies, out = tmp_path_factory.mktemp("copies"), tmp_path_factory.mktemp("hub")
    originals = {}
    for name, file in SHIPPED.items():
        copy = copies / file
        shutil.copyfile(checkpoint_dir / file, copy)
        originals[name] = Predictor.load(copy, device="cpu", precision="fp32")
        main(["--hub", str(out), "--model", str(copy), "--checkpoints", str(checkpoint_dir)])
        copy.unlink()
    return out, originals


@pytest.mark.parametrize("name", list(SHIPPED))
def test_a_folder_alone_gives_the_probabilities_of_its_checkpoint(exported, name):
    out, originals = exported
    original = originals[name]
    assert not original.path.exists()  # the copy it was exported from is gone
    folder = Predictor.load(out / name, device="cpu", precision="fp32")
    assert (folder.kind, folder.classes, folder.temperature) == (original.kind, original.classes, original.temperature)
    assert (folder.unsure_threshold, folder.normalization) == (original.unsure_threshold, original.normalization)
    assert folder.metrics == original.metrics and folder.precision == original.precision
    expected = original.predict_proba(TEXTS)
    assert np.abs(folder.predict_proba(TEXTS) - expected).max() <= 1e-6
    assert folder.name == name and folder.sha256 != original.sha256  # its own fingerprint: other bytes


@pytest.mark.parametrize("name", list(SHIPPED))
def test_a_folder_holds_no_pickle(exported, name):
    folder = exported[0] / name
    assert sorted(p.name for p in folder.iterdir()) == sorted([CARD, CONFIG, WEIGHTS])  # no .pt, .pkl, .npz
    config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    with safetensors.safe_open(folder / WEIGHTS, framework="numpy") as weights:
        names = set(weights.keys())
    original = exported[1][name]
    if original.linear is not None:
        assert names == {"idf", "coef", "intercept"} and config["ngrams"] == original.linear.features.tolist()
    else:
        assert names == set(original.model.state_dict())
        assert config["encoder"] == json.loads(original.encoder.to_json())  # character and bigram vocabularies
        assert config["config"] == original.config
    assert config["kind"] == original.kind and config["classes"] == original.classes
    assert config["class_names"]["sports"] == "体育" and len(config["class_names"]) == len(original.classes)
    assert config["normalization"]["opencc"] == original.normalization["opencc"]
    assert config["unsure_threshold"] == original.unsure_threshold


@pytest.mark.parametrize("name", list(SHIPPED))
def test_the_cards_metadata_holds_the_checkpoints_records(exported, checkpoint_dir, name):
    card = ModelCard.load(exported[0] / name / CARD)  # a path: read from the file, nothing fetched
    data, original = card.data, exported[1][name]
    assert (data.language, data.license, data.pipeline_tag) == ("zh", "other", "text-classification")
    assert data.library_name and data.tags and "thucnews" in data.datasets
    assert "published for research without a stated licence" in card.text
    assert data.model_name == repo_id(name)
    validate_repo_id(data.model_name)  # a name the Hub takes
    results = {(r.dataset_type, r.metric_type): r.metric_value for r in data.eval_results}
    assert all(r.task_type == "text-classification" for r in data.eval_results)
    assert results[("thucnews", "accuracy")] == original.metrics["test"]["accuracy"]
    assert results[("thucnews", "f1")] == original.metrics["test"]["macro_f1"]
    outlets = json.loads((checkpoint_dir / "outlets.json").read_text(encoding="utf-8"))[name]
    assert outlets["sha256"] == original.sha256  # measured on this very checkpoint
    assert results[("toutiao2018", "accuracy")] == outlets["toutiao-report"]["accuracy"]
    assert results[("nlpcc2017", "accuracy")] == outlets["nlpcc-report"]["accuracy"]
    assert len(results) == 4


def test_outlet_figures_of_another_checkpoint_are_left_out(exported, tmp_path):
    """A folder exported again is other bytes than the checkpoint outlets.json measured: its card
    keeps the test figures it carries and claims none of the other outlets'."""
    main(["--hub", str(tmp_path), "--model", str(exported[0] / "linear")])
    results = {r.dataset_type for r in ModelCard.load(tmp_path / "linear" / CARD).data.eval_results}
    assert results == {"thucnews"}


def test_a_bad_model_name_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        main(["--hub", str(tmp_path), "--model", "nonesuch"])
    message = str(stopped.value)
    assert message.startswith("error: --model nonesuch") and all(name in message for name in SHIPPED)
    assert not any(tmp_path.iterdir())


def test_a_folder_that_is_not_whole_does_not_load(exported, tmp_path):
    broken = tmp_path / "textcnn"
    shutil.copytree(exported[0] / "textcnn", broken)
    (broken / WEIGHTS).write_bytes((broken / WEIGHTS).read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable model folder"):
        Predictor.load(broken)
    (broken / WEIGHTS).unlink()
    with pytest.raises(CheckpointError, match="not a model folder"):
        Predictor.load(broken)


def test_the_app_serves_exported_folders(exported, tmp_path):
    """`python app.py --checkpoints OUT_DIR` finds the shipped models' folders, and `--models DIR`
    serves DIR/NAME/MODEL/ as NAME/MODEL."""
    registry = ModelRegistry.load(exported[0], device="cpu")
    assert not registry.unavailable and registry.shipped_names() == list(SHIPPED_MODELS)
    shutil.copytree(exported[0] / "linear", tmp_path / "mine" / "linear")
    models, unavailable = load_folder(tmp_path / "mine", device="cpu")
    assert list(models) == ["mine/linear"] and not unavailable
