"""The data layer: THUCNews splits read strictly, pretrained character vectors, how every
headline is normalised, and text -> ids. Imports nothing else of cls_core.

    python -m cls_core.data fetch --source ../shared/data/THUCNews    # copy + verify
    python -m cls_core.data check                                       # verify in place
"""

from cls_core.data.embeddings import load_pretrained, read_word2vec, tencent_available
from cls_core.data.encoding import END, PAD, UNK, TextEncoder, Vocab, bigram_tokens, length_buckets, pad_batch
from cls_core.data.sources import SourceSpec, read_label_map, read_source, with_extra
from cls_core.data.splits import (
    DEFAULT_DATA_DIR,
    EMBEDDING_FILE,
    EMBEDDING_VOCAB_FILE,
    KNOWN_FILES,
    SPLITS,
    DataFormatError,
    Dataset,
    add_data_dir_argument,
    class_counts,
    load_split,
    read_classes,
    read_named_split,
    read_split,
    resolve_data_dir,
    sha256_file,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "EMBEDDING_FILE",
    "EMBEDDING_VOCAB_FILE",
    "END",
    "KNOWN_FILES",
    "PAD",
    "SPLITS",
    "UNK",
    "DataFormatError",
    "Dataset",
    "TextEncoder",
    "Vocab",
    "add_data_dir_argument",
    "bigram_tokens",
    "class_counts",
    "length_buckets",
    "load_pretrained",
    "load_split",
    "pad_batch",
    "read_classes",
    "read_label_map",
    "read_named_split",
    "read_source",
    "read_split",
    "SourceSpec",
    "read_word2vec",
    "resolve_data_dir",
    "sha256_file",
    "tencent_available",
    "with_extra",
]
