"""Pretrained character vectors: the Tencent AI Lab embeddings beside the splits, or a file of
your own in word2vec text format.

    chars, matrix = load_pretrained(data_dir)       # Tencent, when tencent_available(data_dir)
    chars, matrix = read_word2vec("my_vectors.txt") # `char v1 ... vd` lines, file:line errors

Both give the same pair: matrix[i] is the vector of chars[i].
"""

import json
from pathlib import Path

import numpy as np

from cls_core.data.splits import EMBEDDING_FILE, EMBEDDING_VOCAB_FILE, DataFormatError

MAX_VECTOR_BYTES = 512 * 1024 * 1024  # a character table is small; a whole word table is not what we read


def tencent_available(data_dir):
    """Whether data_dir holds the Tencent embeddings (both of their files)."""
    data_dir = Path(data_dir)
    return (data_dir / EMBEDDING_FILE).is_file() and (data_dir / EMBEDDING_VOCAB_FILE).is_file()


def load_pretrained(data_dir):
    """The Tencent character embeddings: (chars, matrix), matrix[i] the vector of chars[i]."""
    data_dir = Path(data_dir)
    chars = json.loads((data_dir / EMBEDDING_VOCAB_FILE).read_text(encoding="utf-8"))
    with np.load(data_dir / EMBEDDING_FILE, allow_pickle=False) as npz:
        matrix = npz["embeddings"].astype(np.float32)
    if len(chars) != len(matrix):
        raise DataFormatError(f"{data_dir}: {len(chars)} characters but {len(matrix)} embedding rows")
    return chars, matrix


def read_word2vec(path):
    """Character vectors in word2vec text format: an optional first line `count dim`, then one
    `token v1 ... vd` line per vector (UTF-8, BOM and CRLF accepted). Returns (tokens, matrix
    float32 [n, d]); any fault is a DataFormatError naming file and line. Tokens longer than
    one character are kept too (they simply match no character of a vocabulary)."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    if path.stat().st_size > MAX_VECTOR_BYTES:
        raise DataFormatError(f"{path}: over {MAX_VECTOR_BYTES // 2**20} MB; keep only the characters' vectors")
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataFormatError(f"{path}:{line}: not valid UTF-8 ({e.reason})") from None
    tokens, rows, dim, declared = [], [], None, None
    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.rstrip("\r").split(" ")
        fields = [f for f in fields if f]  # several spaces, or a trailing one, as word2vec writes
        if not fields:
            continue
        if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
            declared, dim = int(fields[0]), int(fields[1])
            continue
        where = f"{path}:{number}"
        if len(fields) < 2:
            raise DataFormatError(f"{where}: a token and its vector expected")
        if dim is None:
            dim = len(fields) - 1
        if len(fields) - 1 != dim:
            raise DataFormatError(f"{where}: {len(fields) - 1} numbers where {dim} are expected")
        try:
            vector = [float(f) for f in fields[1:]]
        except ValueError:
            raise DataFormatError(f"{where}: not a number in the vector of {fields[0]!r}") from None
        if not np.isfinite(vector).all():
            raise DataFormatError(f"{where}: the vector of {fields[0]!r} is not finite")
        tokens.append(fields[0])
        rows.append(vector)
    if not rows:
        raise DataFormatError(f"{path}: no vectors")
    if declared is not None and declared != len(rows):
        raise DataFormatError(f"{path}:1: the header says {declared} vectors; the file holds {len(rows)}")
    return tokens, np.asarray(rows, dtype=np.float32)
