"""A map of the test split: every headline as the vector the network's classifier reads
(its `features`), projected to 2-D.

- BiLSTM-attention: the attention-weighted sum of the top layer's states (the context);
- TextCNN: the max-pooled filter values.

scikit-learn PCA to 50 dimensions, then t-SNE (Barnes-Hut, PCA initialisation, fixed
seed; `method="pca"` stops after two principal components). Computed once per checkpoint
and test file and cached (cls_core.explain.cache) with each point's headline, topic and answer;
the shipped networks' t-SNE maps ship built (checkpoints/shipped-cache/). A build reports its
stages to an optional progress(fraction, stage): "encoding" (the network over the split, batch
by batch, up to ENCODING_SHARE), then "projecting" (PCA and t-SNE, which say nothing meanwhile).

    python -m cls_core.explain.projection --checkpoint checkpoints/textcnn.pt    # build, print the time
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from cls_core.data import add_data_dir_argument, length_buckets, pad_batch, resolve_data_dir
from cls_core.data.test_file import as_test_file
from cls_core.explain import cache

PCA_DIMENSIONS = 50
METHODS = ("tsne", "pca")
ENCODING_SHARE = 0.2  # of a build's progress; t-SNE takes most of the time
STAGES = ("encoding", "projecting")


@torch.no_grad()
def representations(predictor, texts, batch_size=512, progress=None):
    """([N, F] vectors the classifier reads, [N, C] calibrated probabilities), input order;
    progress(fraction of the texts done) after each batch."""
    if predictor.model is None:
        raise ValueError(f"the map needs a network, not {predictor.kind}")
    model, encoder = predictor.model.eval(), predictor.encoder
    encoded = [encoder.encode(predictor.normalize(t)) for t in texts]
    done = 0
    vectors, probs = [None] * len(texts), np.zeros((len(texts), len(predictor.classes)), dtype=np.float32)
    for index in length_buckets([len(c) for c, _ in encoded], batch_size):
        chars, bigrams, lengths = (t.to(predictor.device) for t in pad_batch([encoded[i] for i in index]))
        with predictor.autocast():
            features = model.features(chars, bigrams, lengths)
            logits = model.classifier(features)
        probs[index] = predictor.calibrated(logits.float().cpu().numpy())
        for i, row in zip(index, features.float().cpu().numpy()):
            vectors[i] = row
        if progress:
            done += len(index)
            progress(done / len(texts))
    return np.stack(vectors), probs


def project(vectors, method="tsne", seed=0):
    """[N, 2] coordinates: PCA to PCA_DIMENSIONS, then t-SNE (or the first two components)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    reduced = PCA(n_components=min(PCA_DIMENSIONS, *vectors.shape), random_state=seed).fit_transform(vectors)
    if method == "pca":
        return reduced[:, :2].astype(np.float32)
    perplexity = min(30.0, (len(vectors) - 1) / 3)
    return (
        TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
        .fit_transform(reduced)
        .astype(np.float32)
    )


def build_map(predictor, dataset, method="tsne", progress=None):
    """{name: array}: coords [N, 2], texts, labels, predicted, probability, classes, seconds;
    progress(fraction, stage) by stage (see the module docstring)."""
    start = time.perf_counter()
    if progress:
        progress(0.0, "encoding")
    vectors, probs = representations(
        predictor, dataset.texts, progress=progress and (lambda done: progress(ENCODING_SHARE * done, "encoding"))
    )
    if progress:
        progress(ENCODING_SHARE, "projecting")
    coords = project(vectors, method)
    if progress:
        progress(1.0, "projecting")
    return {
        "coords": coords,
        "texts": np.array(dataset.texts, dtype=str),
        "labels": np.asarray(dataset.labels, dtype=np.int16),
        "predicted": probs.argmax(1).astype(np.int16),
        "probability": probs.max(1),
        "classes": np.array(dataset.classes, dtype=str),
        "seconds": np.float32(time.perf_counter() - start),
    }


def entry_name(method="tsne"):
    """The cache entry name of the map drawn with `method`."""
    return f"map-{method}"


def test_map(predictor, data_dir, method="tsne", progress=None):
    """The map of data_dir's test split (or of a TestFile, cls_core.data.test_file) for this
    checkpoint: from the cache (or the shipped entries), else built, telling
    progress(fraction, stage) as it goes."""
    test = as_test_file(data_dir)
    return cache.cached(
        entry_name(method), predictor, test.path, lambda: build_map(predictor, test.read(), method, progress)
    )


def main(argv=None):
    from cls_core.models.predictor import Predictor

    parser = argparse.ArgumentParser(
        prog="python -m cls_core.explain.projection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--checkpoint", action="append", required=True)
    add_data_dir_argument(parser)
    parser.add_argument("--method", default="tsne", choices=METHODS)
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    for checkpoint in args.checkpoint:
        predictor = Predictor.load(checkpoint, "cpu")
        path = cache.entry_path(entry_name(args.method), predictor, data_dir / "test.txt")
        path.unlink(missing_ok=True)
        with cache.shipped_entries_ignored():  # build it, even for a checkpoint whose map ships
            result = test_map(predictor, data_dir, args.method)
        print(
            json.dumps(
                {
                    "model": predictor.name,
                    "map": str(path),
                    "points": len(result["coords"]),
                    "build_seconds": round(float(result["seconds"]), 1),
                    "bytes": path.stat().st_size,
                }
            )
        )


if __name__ == "__main__":
    main()
