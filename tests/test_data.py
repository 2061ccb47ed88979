import http.server
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import cls_core.data.fetch
from cls_core.data import (
    KNOWN_FILES,
    DataFormatError,
    TextEncoder,
    Vocab,
    bigram_tokens,
    length_buckets,
    load_split,
    read_split,
    resolve_data_dir,
    sha256_file,
)
from cls_core.data.fetch import check_data_dir, fetch


def write(tmp_path, content, name="split.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_reads_bom_crlf_and_tabs_in_text(tmp_path):
    path = write(tmp_path, "\ufeff国足胜泰国\t7\r\n带\t制表符\t4\r\n\r\n")
    texts, labels = read_split(path, 10)
    assert texts == ["国足胜泰国", "带\t制表符"]
    assert labels == [7, 4]


@pytest.mark.parametrize(
    "content, message",
    [
        ("好标题\t1\n没有制表符\n", ":2: expected 'headline<TAB>label'"),
        ("标题\tx\n", ":1: label 'x' is not an integer"),
        ("标题\t10\n", ":1: label 10 is out of range 0..9"),
        ("标题\t-1\n", ":1: label -1 is out of range"),
        ("好\t1\n \t3\n", ":2: empty headline"),
        (b"ok\t1\n\xff\xfe bad\t2\n", ":2: not valid UTF-8"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(DataFormatError) as e:
        read_split(path, 10)
    assert str(path) in str(e.value) and message in str(e.value)


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(DataFormatError, match="no headlines"):
        read_split(write(tmp_path, "\n"), 10)


def test_data_dir_resolution_order(monkeypatch):
    monkeypatch.setenv("CLS_DATA_DIR", "/from/env")
    assert str(resolve_data_dir("/from/flag")) == "/from/flag"
    assert str(resolve_data_dir()) == "/from/env"
    monkeypatch.delenv("CLS_DATA_DIR")
    assert str(resolve_data_dir()) == "data/THUCNews"


def test_missing_split_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="cls_core.data fetch"):
        load_split(tmp_path, "test")


def test_vocab_json_round_trip():
    vocab = Vocab.build(["国足胜", "国足负", "股市"], min_freq=1)
    assert vocab.itos[:2] == ["<PAD>", "<UNK>"] and vocab.itos[2:4] == ["国", "足"]
    again = Vocab.from_json(vocab.to_json())
    assert again.itos == vocab.itos
    assert again.encode("国足X") == [2, 3, 1]
    assert Vocab.build(["aab"], min_freq=2).itos == ["<PAD>", "<UNK>", "a"]


def test_encoder_reads_characters_and_bigrams():
    texts = ["国足胜", "国足负"]
    encoder = TextEncoder(Vocab.build(texts), Vocab.build((bigram_tokens(t) for t in texts), min_freq=2), max_len=5)
    chars, pairs = encoder.encode("国足胜泰国队")
    assert len(chars) == len(pairs) == 5
    assert pairs[0] == encoder.bigram_vocab.stoi["国足"] and pairs[1:] == [1, 1, 1, 1]  # unseen bigrams: <UNK>
    again = TextEncoder.from_json(encoder.to_json())
    assert again.encode("国足胜泰国队") == (chars, pairs)
    chars_only = TextEncoder(Vocab.build(texts))
    assert TextEncoder.from_json(chars_only.to_json()).encode("国足") == ([2, 3], [0, 0])


def test_bigram_tokens_give_one_bigram_per_character():
    assert bigram_tokens("国足胜") == ["国足", "足胜", "胜\x03"]


def test_length_buckets_cover_every_index_once():
    lengths = np.random.default_rng(0).integers(1, 40, size=1000)
    batches = length_buckets(lengths, 32, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 5  # batches hold similar lengths


@pytest.mark.full_data
def test_real_data_checks_out(data_dir):
    report = check_data_dir(data_dir)
    assert "train.txt: 45000 headlines, labels in 0..9" in report
    assert [f"{name}: sha256 ok" for name in KNOWN_FILES] == [line for line in report if "sha256" in line]


@pytest.mark.full_data
def test_fetch_from_local_folder(tmp_path, data_dir):
    dest = tmp_path / "data" / "THUCNews"
    report = fetch(data_dir, dest)
    assert (dest / "test.txt").read_bytes() == (data_dir / "test.txt").read_bytes()
    assert any("sha256 ok" in line for line in report)
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".fetch-")]


# --- fetch and check, on a stand-in for the published split -----------------------------------


@pytest.fixture()
def published(small_data_dir, monkeypatch):
    """The small split as if it were the published one: KNOWN_FILES holds its files' digests,
    so fetch verifies it as it verifies the real split, on any machine."""
    monkeypatch.setattr(
        cls_core.data.fetch, "KNOWN_FILES", {name: (None, sha256_file(small_data_dir / name)) for name in KNOWN_FILES}
    )
    return small_data_dir


def copy_of(folder, to, leave_out=()):
    to.mkdir()
    for name in KNOWN_FILES:
        if name not in leave_out:
            shutil.copyfile(folder / name, to / name)
    return to


def contents(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


@contextmanager
def http_server(folder, cut=()):
    """Serve folder on 127.0.0.1 from a thread; yields its URL. A file named in cut is sent
    only up to a line's end near its middle, after its whole length was promised."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def copyfile(self, source, outputfile):
            data = source.read()
            if Path(self.path).name in cut:
                data = data[: data.rindex(b"\n", 0, len(data) // 2) + 1]
            outputfile.write(data)

        def log_message(self, *args):  # the requests are not the test's output
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()
            thread.join()


def test_fetch_refuses_a_changed_file(tmp_path, published):
    source = copy_of(published, tmp_path / "source")
    with open(source / "dev.txt", "a", encoding="utf-8") as f:
        f.write("多出来的一行\t3\n")
    with pytest.raises(DataFormatError, match="dev.txt: sha256"):
        fetch(source, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_fetch_over_http_gives_a_verified_copy(tmp_path, published):
    dest = tmp_path / "data" / "THUCNews"
    with http_server(published) as url:
        report = fetch(url, dest)
    assert contents(dest) == {name: (published / name).read_bytes() for name in sorted(KNOWN_FILES)}
    assert [f"{name}: sha256 ok" for name in KNOWN_FILES] == [line for line in report if "sha256" in line]
    assert [p.name for p in dest.parent.iterdir()] == ["THUCNews"]  # nothing staged is left


def test_fetch_over_http_does_without_embeddings_the_server_lacks(tmp_path, published):
    embeddings = [name for name in KNOWN_FILES if name.startswith("embedding")]
    source = copy_of(published, tmp_path / "source", leave_out=embeddings)
    with http_server(source) as url:
        report = fetch(url, tmp_path / "dest")
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["class.txt", "dev.txt", "test.txt", "train.txt"]
    assert [f"{name}: absent (optional; needed for --embedding tencent)" for name in embeddings] == [
        line for line in report if "absent" in line
    ]


FAILURES = {
    "missing": "could not download http://127.0.0.1:[0-9]+/dev.txt: HTTP Error 404",
    "changed": "dev.txt: sha256",
    "cut short": "could not download http://127.0.0.1:[0-9]+/test.txt: the transfer stopped after",
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_download_leaves_dest_as_it_was(tmp_path, published, failure):
    dest = tmp_path / "data" / "THUCNews"
    fetch(published, dest)
    before = contents(dest)
    source = copy_of(published, tmp_path / "source", leave_out=["dev.txt"] if failure == "missing" else [])
    if failure == "changed":
        (source / "dev.txt").write_bytes((published / "dev.txt").read_bytes().replace(b"\t3", b"\t4", 1))
    # cut at a line's end the split still reads: without the checksums only the length tells
    with (
        http_server(source, cut=["test.txt"] if failure == "cut short" else []) as url,
        pytest.raises((OSError, DataFormatError), match=FAILURES[failure]),
    ):
        fetch(url, dest, verify=failure != "cut short")
    assert contents(dest) == before
    assert [p.name for p in dest.parent.iterdir()] == ["THUCNews"]


def test_fetch_replaces_an_old_copy_whole_or_not_at_all(tmp_path, small_data_dir, monkeypatch):
    dest = tmp_path / "THUCNews"
    dest.mkdir()
    (dest / "old.txt").write_text("the copy in use")
    rename, failed = Path.rename, []

    def rename_in_fails(path, target):  # the first move of a new copy onto dest fails
        if Path(target) == dest and path.name.startswith(".fetch-") and not failed:
            failed.append(path)
            raise OSError("disk full")
        return rename(path, target)

    monkeypatch.setattr(Path, "rename", rename_in_fails)
    with pytest.raises(OSError, match="disk full"):
        fetch(small_data_dir, dest, verify=False)
    assert (dest / "old.txt").read_text() == "the copy in use" and not (dest / "test.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["THUCNews"]  # nothing staged or set aside is left

    monkeypatch.undo()
    fetch(small_data_dir, dest, verify=False)
    assert not (dest / "old.txt").exists()
    assert (dest / "test.txt").read_bytes() == (small_data_dir / "test.txt").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["THUCNews"]
