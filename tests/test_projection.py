"""The map of the test split: the classifier's own input vectors, projected and cached."""

import numpy as np
import pytest

from cls_core.app import deep
from cls_core.data import load_split
from cls_core.explain import cache, projection
from cls_core.models.predictor import Predictor


@pytest.fixture()
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path / "cache"))
    cache.forget()
    return tmp_path / "cache"


@pytest.mark.parametrize("kind", ["bilstm_att", "textcnn"])
@pytest.mark.parametrize("precision, tolerance", [("fp32", 1e-5), ("bf16", 0.01)])
def test_representation_is_what_the_classifier_reads(checkpoint_dir, small_data_dir, kind, precision, tolerance):
    predictor = Predictor.load(checkpoint_dir / f"{kind}.pt", "cpu", precision)
    texts = load_split(small_data_dir, "test").texts[:40]
    vectors, probs = projection.representations(predictor, texts)
    assert vectors.shape == (40, predictor.model.classifier.in_features)
    assert np.allclose(probs, predictor.predict_proba(texts), atol=tolerance)


def test_map_is_cached_and_drawn(checkpoint_dir, small_data_dir, cache_in, monkeypatch):
    predictor = Predictor.load(checkpoint_dir / "textcnn.pt", "cpu")
    test = load_split(small_data_dir, "test")
    view = deep.map_view(predictor, small_data_dir, method="tsne")
    points = projection.test_map(predictor, small_data_dir, "tsne")
    assert points["coords"].shape == (len(test), 2) and np.isfinite(points["coords"]).all()
    assert list(points["labels"]) == test.labels
    mistakes = np.flatnonzero(points["labels"] != points["predicted"])
    figure = view["figure"]
    point_headlines = [[int(row[0]) for row in trace.customdata] for trace in figure.data]  # what a click opens
    assert len(figure.data) == len(test.classes) + 1
    assert sorted(sum(point_headlines[:-1], [])) == list(range(len(test)))
    assert point_headlines[-1] == mistakes.tolist()
    assert all(row[1] == test.texts[int(row[0])] for trace in figure.data for row in trace.customdata)
    monkeypatch.setattr(projection, "build_map", lambda *a, **k: pytest.fail("rebuilt although cached"))
    cache.forget()
    assert np.array_equal(projection.test_map(predictor, small_data_dir, "tsne")["coords"], points["coords"])
    assert len(list(cache_in.glob("map-tsne-*.npz"))) == 1


def test_pca_map(checkpoint_dir, small_data_dir, cache_in):
    predictor = Predictor.load(checkpoint_dir / "bilstm_att.pt", "cpu")
    points = projection.test_map(predictor, small_data_dir, "pca")
    assert points["coords"].shape == (len(points["texts"]), 2)
    with pytest.raises(ValueError):
        projection.project(np.zeros((10, 4)), "umap")
