"""The shipped cache entries (checkpoints/shipped-cache/): a fresh clone, with an empty cache
directory, serves the shipped networks' map, agreement and unit index without computing them;
an entry that does not match is passed over; and the entries match the shipped checkpoints."""

import json
import shutil

import pytest
from conftest import SHIPPED_DATA

from cls_core.explain import attribution, cache, projection, shipped, units
from cls_core.models.predictor import Predictor


def refuse(*args, **kwargs):
    raise AssertionError("computed, though a shipped entry was there")


@pytest.fixture()
def empty_cache(tmp_path, monkeypatch):
    """An empty $HEADLINE_LENS_CACHE, and nothing kept in memory from before."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(folder))
    cache.forget()
    yield folder
    cache.forget()


@pytest.fixture(scope="module")
def networks(checkpoint_dir):
    return {file: Predictor.load(checkpoint_dir / file, "cpu") for file in shipped.NETWORKS}


def shipped_files():
    return {p.name: p.stat().st_mtime_ns for p in cache.SHIPPED_DIR.iterdir()}


def test_the_shipped_entries_match_the_shipped_checkpoints(checkpoint_dir):
    problems = shipped.check(checkpoint_dir, SHIPPED_DATA)
    assert not problems, (
        "the shipped cache entries do not match the checkpoints (retrained?): run "
        f"`{cache.SHIP_COMMAND}` and commit checkpoints/shipped-cache/\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("where", ["demo", "data_dir"])
def test_a_fresh_cache_serves_the_shipped_entries_without_computing(
    where, networks, empty_cache, data_dir, monkeypatch
):
    """data/demo/test.txt and the dataset's test.txt are the same bytes: one entry serves both."""
    folder = SHIPPED_DATA if where == "demo" else data_dir
    for module, builder in ((projection, "build_map"), (attribution, "test_agreement"), (units, "build_index")):
        monkeypatch.setattr(module, builder, refuse)
    before = shipped_files()
    for predictor in networks.values():
        points = projection.test_map(predictor, folder)
        assert points["coords"].shape == (10_000, 2)
        assert attribution.cached_agreement(predictor, folder)["headlines"] == attribution.SAMPLE
        if predictor.kind == "bilstm_att":
            assert units.unit_index(predictor, folder)["top_values"].shape[-1] == units.TOP_K
    assert not any(empty_cache.iterdir())  # nothing was computed into the cache
    assert shipped_files() == before  # nor written where the entries ship


@pytest.mark.parametrize("tampering", ["bytes", "manifest"])
def test_a_shipped_entry_that_does_not_match_is_computed_instead(
    tampering, checkpoint_dir, empty_cache, tmp_path, monkeypatch
):
    copy = tmp_path / "shipped-cache"
    shutil.copytree(cache.SHIPPED_DIR, copy)
    monkeypatch.setattr(cache, "SHIPPED_DIR", copy)
    # fp32, so that what is computed instead goes where the shipped entry would (tests/test_cache.py: bf16's own)
    predictor = Predictor.load(checkpoint_dir / "textcnn.pt", "cpu", "fp32")
    name = cache.entry_path(attribution.entry_name(), predictor, SHIPPED_DATA / "test.txt", ".json").name
    if tampering == "bytes":  # the entry edited: the manifest's sha256 of it no longer holds
        value = json.loads((copy / name).read_text(encoding="utf-8"))
        value["pairs"] = {pair: dict(v, mean=0.99) for pair, v in value["pairs"].items()}
        (copy / name).write_text(json.dumps(value), encoding="utf-8")
    else:  # the manifest says it was built from other weights
        manifest = json.loads((copy / cache.MANIFEST).read_text(encoding="utf-8"))
        manifest["entries"][name]["checkpoint_sha256"] = "0" * 64
        (copy / cache.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    tampered = (copy / name).read_bytes()
    runs = []
    monkeypatch.setattr(
        attribution,
        "test_agreement",
        lambda predictor, dataset, sample, progress=None: runs.append(sample) or {"computed": True},
    )
    with pytest.warns(UserWarning, match=cache.SHIP_COMMAND):
        assert attribution.cached_agreement(predictor, SHIPPED_DATA) == {"computed": True}
    assert runs == [attribution.SAMPLE]
    assert (empty_cache / name).exists() and (copy / name).read_bytes() == tampered
    assert attribution.cached_agreement(predictor, SHIPPED_DATA) == {"computed": True}  # now from the cache
    assert runs == [attribution.SAMPLE]


def test_the_ship_command_writes_entries_that_check(networks, checkpoint_dir, tmp_path, monkeypatch):
    """The build (its computations stubbed here) fills a folder whose entries check, drops stale
    files, and the entries then serve a fresh cache."""
    monkeypatch.setattr(projection, "build_map", lambda predictor, dataset, method, progress=None: {"coords": [[0, 0]]})
    monkeypatch.setattr(
        attribution, "test_agreement", lambda predictor, dataset, sample, progress=None: {"kind": predictor.kind}
    )
    monkeypatch.setattr(units, "build_index", lambda predictor, dataset, k: {"top_values": [[k]]})
    (tmp_path / "cache").mkdir()
    monkeypatch.setenv("HEADLINE_LENS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "shipped"
    out.mkdir()
    (out / "map-tsne-0000000000000000-00000000.npz").write_bytes(b"stale")
    manifest = shipped.build(checkpoint_dir, SHIPPED_DATA, out, log=lambda line: None)
    assert manifest["precision"] == "float32"
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["entries"], cache.MANIFEST])
    assert len(manifest["entries"]) == 5  # map and agreement for both networks, units for the BiLSTM
    assert shipped.check(checkpoint_dir, SHIPPED_DATA, out) == []
    assert not any((tmp_path / "cache").iterdir())  # built in a scratch folder
    monkeypatch.setattr(cache, "SHIPPED_DIR", out)
    monkeypatch.setattr(attribution, "test_agreement", refuse)
    assert attribution.cached_agreement(networks["bilstm_att.pt"], SHIPPED_DATA) == {"kind": "bilstm_att"}


def test_a_map_built_tells_its_stages(networks, empty_cache, tmp_path, monkeypatch):
    """A checkpoint without a shipped map (here: none ship) is built with progress by stage."""
    monkeypatch.setattr(cache, "SHIPPED_DIR", None)
    monkeypatch.setattr(projection, "project", lambda vectors, method="tsne", seed=0: vectors[:, :2])
    small = tmp_path / "small"
    small.mkdir()
    shutil.copy(SHIPPED_DATA / "class.txt", small)
    lines = (SHIPPED_DATA / "test.txt").read_text(encoding="utf-8").splitlines()[::10]
    (small / "test.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen = []
    points = projection.test_map(networks["textcnn.pt"], small, progress=lambda f, stage: seen.append((f, stage)))
    assert len(points["coords"]) == 1000
    assert seen[0] == (0.0, "encoding") and seen[-1] == (1.0, "projecting")
    assert len(seen) > 3  # the encoding batch by batch
    assert [stage for _, stage in seen] == sorted((s for _, s in seen), key=projection.STAGES.index)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert (projection.ENCODING_SHARE, "encoding") in seen and (projection.ENCODING_SHARE, "projecting") in seen
