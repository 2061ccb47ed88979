"""Pretrained character vectors: the Tencent AI Lab embeddings beside the splits."""

import json
from pathlib import Path

import numpy as np

from cls_core.data.splits import EMBEDDING_FILE, EMBEDDING_VOCAB_FILE, DataFormatError


def load_pretrained(data_dir):
    """The Tencent character embeddings: (chars, matrix), matrix[i] the vector of chars[i]."""
    data_dir = Path(data_dir)
    chars = json.loads((data_dir / EMBEDDING_VOCAB_FILE).read_text(encoding="utf-8"))
    with np.load(data_dir / EMBEDDING_FILE, allow_pickle=False) as npz:
        matrix = npz["embeddings"].astype(np.float32)
    if len(chars) != len(matrix):
        raise DataFormatError(f"{data_dir}: {len(chars)} characters but {len(matrix)} embedding rows")
    return chars, matrix
