"""THUCNews headline data: finding it, reading it strictly, and turning text into ids.

A split file holds one `headline<TAB>label` per line (UTF-8, label = line index in
class.txt). Every reader here fails loudly, naming file and line, because a silently
skipped line would quietly change every accuracy figure downstream.

    python -m cls_core.data fetch --source ../shared/data/THUCNews    # copy + verify
    python -m cls_core.data check                                       # verify in place
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DATA_DIR = Path("data/THUCNews")
SPLITS = ("train", "dev", "test")
EMBEDDING_FILE = "embedding_Tencent.npz"
EMBEDDING_VOCAB_FILE = "embedding_Tencent.vocab.json"

# Chinese class names in label order, with the English gloss the app shows.
CLASS_GLOSS = {
    "finance": "财经", "realty": "房产", "stocks": "股票", "education": "教育",
    "science": "科技", "society": "社会", "politics": "时政", "sports": "体育",
    "game": "游戏", "entertainment": "娱乐",
}

# The published split as it lies in ../shared (see its README): lines and sha256.
KNOWN_FILES = {
    "class.txt": (10, "005e8813ad639c219e5902dc84889202b4a717b4238497d26c3fbd5e43927a86"),
    "train.txt": (45_000, "6cb2d0a2c25c06ca51bc526cfa0a451fed2ee0382dce0b3ae5e322555eef0aa8"),
    "dev.txt": (10_000, "6ed73aa2c57ee1560c8f76570d48735c4b1c29ae4983fe3523d56e115813e175"),
    "test.txt": (10_000, "ebecc8c896635ad69730083ca7b81d37c42c9a5779bc05c9d2479d894e34f026"),
    EMBEDDING_FILE: (None, "8c3d59d109f48f119a3e04bddd7b8ac4c11245d11c57335f6be2de7ba7130b28"),
    EMBEDDING_VOCAB_FILE: (None, "2f37c734b25784152e3c2002694c8e2c21dabf2352f15d6f226eedb7c201ee85"),
}
PUBLIC_SOURCE = ("https://raw.githubusercontent.com/649453932/Chinese-Text-Classification-Pytorch/"
                 "master/THUCNews/data")


class DataFormatError(ValueError):
    """A data file that does not follow the `headline<TAB>label` format."""


def resolve_data_dir(flag=None):
    """The data directory: the --data-dir flag, then $CLS_DATA_DIR, then data/THUCNews."""
    return Path(flag or os.environ.get("CLS_DATA_DIR") or DEFAULT_DATA_DIR)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _decoded_lines(path):
    """Yield (line number, text) for each line, accepting a UTF-8 BOM and CRLF endings."""
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataFormatError(f"{path}:{number}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
        yield number, text.rstrip("\r")


def read_classes(path):
    """Class names, one a line; index = label."""
    names = [text.strip() for _, text in _decoded_lines(path) if text.strip()]
    if not names:
        raise DataFormatError(f"{path}: no class names")
    if len(set(names)) != len(names):
        raise DataFormatError(f"{path}: duplicate class names")
    return names


def read_split(path, num_classes):
    """Read `headline<TAB>label` lines. Returns (texts, labels); blank lines are skipped."""
    texts, labels = [], []
    for number, line in _decoded_lines(path):
        if not line.strip():
            continue
        text, tab, label = line.rpartition("\t")
        where = f"{path}:{number}"
        if not tab:
            raise DataFormatError(f"{where}: expected 'headline<TAB>label', found no tab")
        if not text.strip():
            raise DataFormatError(f"{where}: empty headline")
        try:
            label = int(label.strip())
        except ValueError:
            raise DataFormatError(f"{where}: label {label.strip()!r} is not an integer") from None
        if not 0 <= label < num_classes:
            raise DataFormatError(f"{where}: label {label} is out of range 0..{num_classes - 1}")
        texts.append(text.strip())
        labels.append(label)
    if not texts:
        raise DataFormatError(f"{path}: no headlines")
    return texts, labels


@dataclass
class Dataset:
    """One split: texts, integer labels and the class names they index."""
    texts: list
    labels: list
    classes: list

    def __len__(self):
        return len(self.texts)


def load_split(data_dir, split):
    data_dir = Path(data_dir)
    path = data_dir / f"{split}.txt"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found. Put the THUCNews data there with "
            f"`python -m cls_core.data fetch --source ../shared/data/THUCNews` "
            f"or point --data-dir / CLS_DATA_DIR at it.")
    classes = read_classes(data_dir / "class.txt")
    texts, labels = read_split(path, len(classes))
    return Dataset(texts, labels, classes)


def class_counts(dataset):
    """Headlines per class, in label order."""
    return np.bincount(dataset.labels, minlength=len(dataset.classes)).tolist()


def load_pretrained(data_dir):
    """The Tencent character embeddings as {character: vector} order: (chars, matrix)."""
    data_dir = Path(data_dir)
    chars = json.loads((data_dir / EMBEDDING_VOCAB_FILE).read_text(encoding="utf-8"))
    with np.load(data_dir / EMBEDDING_FILE, allow_pickle=False) as npz:
        matrix = npz["embeddings"].astype(np.float32)
    if len(chars) != len(matrix):
        raise DataFormatError(f"{data_dir}: {len(chars)} characters but {len(matrix)} embedding rows")
    return chars, matrix


# --- text -> ids --------------------------------------------------------------------------

PAD, UNK = "<PAD>", "<UNK>"


class Vocab:
    """Tokens (characters or bigrams) <-> ids. Id 0 is padding, id 1 unknown.

    Stored as JSON, never pickle.
    """

    def __init__(self, itos):
        if itos[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <PAD>, <UNK>")
        self.itos = list(itos)
        self.stoi = {token: i for i, token in enumerate(self.itos)}

    @classmethod
    def build(cls, sequences, min_freq=1, max_size=None):
        """From token sequences (a string is a sequence of characters)."""
        counts = Counter(token for seq in sequences for token in seq)
        kept = [t for t, n in counts.items() if n >= min_freq]
        kept.sort(key=lambda t: (-counts[t], t))
        return cls([PAD, UNK] + kept[:max_size])

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens):
        return [self.stoi.get(t, 1) for t in tokens]

    def to_json(self):
        return json.dumps(self.itos, ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text))


END = "\x03"  # pairs with a headline's last character, so every position has a bigram


def bigram_tokens(text):
    """The character bigram starting at each position: '国足胜' -> ['国足', '足胜', '胜\x03'].

    One bigram per character keeps every bigram weight attached to the character it starts at.
    """
    padded = text + END
    return [padded[t:t + 2] for t in range(len(text))]


class TextEncoder:
    """Headline -> (character ids, bigram ids), cut to max_len characters.

    Bigrams come from a vocabulary of those seen often enough in training; an unseen one
    is <UNK> (a zero vector), so it adds nothing rather than another bigram's meaning.
    """

    def __init__(self, vocab, bigram_vocab=None, max_len=200):
        self.vocab, self.bigram_vocab, self.max_len = vocab, bigram_vocab, max_len

    def encode(self, text):
        text = text[: self.max_len] or " "
        chars = self.vocab.encode(text)
        pairs = self.bigram_vocab.encode(bigram_tokens(text)) if self.bigram_vocab else [0] * len(chars)
        return chars, pairs

    def to_json(self):
        return json.dumps({"vocab": self.vocab.itos, "max_len": self.max_len,
                           "bigram_vocab": self.bigram_vocab.itos if self.bigram_vocab else None},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        d = json.loads(text)
        return cls(Vocab(d["vocab"]), Vocab(d["bigram_vocab"]) if d["bigram_vocab"] else None, d["max_len"])


def pad_batch(encoded):
    """List of (chars, bigrams) -> (chars LongTensor [B, T], bigrams [B, T], lengths [B]), 0-padded."""
    import torch  # here, so that `python -m cls_core.data` runs without loading torch
    from torch.nn.utils.rnn import pad_sequence

    def padded(sequences):
        return pad_sequence([torch.tensor(s, dtype=torch.long) for s in sequences], batch_first=True)
    return padded(c for c, _ in encoded), padded(b for _, b in encoded), torch.tensor([len(c) for c, _ in encoded])


def length_buckets(lengths, batch_size, rng=None, chunk=50):
    """Batches of indices with similar lengths, so little compute goes to padding.

    Sort by length inside chunks of `chunk` batches (keeps randomness between epochs),
    then shuffle the batch order. Without rng, order is deterministic (for evaluation).
    """
    order = np.arange(len(lengths))
    if rng is not None:
        rng.shuffle(order)
    lengths = np.asarray(lengths)
    batches = []
    step = batch_size * chunk
    for start in range(0, len(order), step):
        part = order[start:start + step]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


# --- fetch / check ------------------------------------------------------------------------

def check_data_dir(data_dir, strict_checksums=True):
    """Verify files, line counts, labels and (where known) sha256. Returns a list of lines."""
    data_dir = Path(data_dir)
    report = []
    classes = read_classes(data_dir / "class.txt")
    for split in SPLITS:
        texts, _ = read_split(data_dir / f"{split}.txt", len(classes))
        report.append(f"{split}.txt: {len(texts)} headlines, labels in 0..{len(classes) - 1}")
    for name, (lines, digest) in KNOWN_FILES.items():
        path = data_dir / name
        if not path.exists():
            if name.startswith("embedding"):
                report.append(f"{name}: absent (optional; needed for --embedding tencent)")
                continue
            raise FileNotFoundError(path)
        actual = sha256_file(path)
        if actual != digest:
            message = f"{name}: sha256 {actual} differs from the published {digest}"
            if strict_checksums:
                raise DataFormatError(message + " (use --no-verify for another split)")
            report.append("warning: " + message)
        else:
            report.append(f"{name}: sha256 ok")
    return report


def fetch(source, dest, verify=True):
    """Copy the dataset from a local folder or an http(s) base URL into dest.

    Everything is fetched and checked in a staging folder beside dest first; a folder
    already at dest is moved aside, the new one renamed in, and only then the old one
    deleted. Any failure leaves dest as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest.parent))
    try:
        for name in KNOWN_FILES:
            target = staging / name
            if str(source).startswith(("http://", "https://")):
                url = f"{str(source).rstrip('/')}/{name}"
                try:
                    with urllib.request.urlopen(url, timeout=60) as r, open(target, "wb") as f:
                        shutil.copyfileobj(r, f)
                except OSError as e:
                    if name.startswith("embedding"):
                        continue  # the public repo ships the embeddings in another form
                    raise OSError(f"could not download {url}: {e}") from e
            elif (Path(source) / name).exists():
                shutil.copyfile(Path(source) / name, target)
            elif not name.startswith("embedding"):
                raise FileNotFoundError(f"{Path(source) / name} not found")
        report = check_data_dir(staging, strict_checksums=verify)
        aside = staging.with_name(staging.name + ".old")
        if dest.exists():
            dest.rename(aside)
        try:
            staging.rename(dest)
        except BaseException:
            if aside.exists():
                aside.rename(dest)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cls_core.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="copy the dataset here and verify it")
    f.add_argument("--source", default=PUBLIC_SOURCE, help="local folder or http(s) base URL")
    f.add_argument("--dest", default=str(DEFAULT_DATA_DIR))
    f.add_argument("--no-verify", action="store_true", help="accept files whose sha256 differs")
    c = sub.add_parser("check", help="verify a data directory in place")
    c.add_argument("--data-dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            report = fetch(args.source, args.dest, verify=not args.no_verify)
            report.append(f"dataset ready in {args.dest}")
        else:
            report = check_data_dir(resolve_data_dir(args.data_dir))
    except (OSError, DataFormatError) as e:
        sys.exit(f"error: {e}")
    print("\n".join(report))


if __name__ == "__main__":
    main()
