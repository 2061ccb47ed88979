"""The test split the app serves: a test.txt in the data directory (--data-dir,
$CLS_DATA_DIR) if there is one, else the published split shipped in data/demo/, read only
once each file matches its published sha256. The demo needs no other dataset: the
Overview's train and dev counts come from what the checkpoints recorded."""

import hashlib
from pathlib import Path

from cls_core.app.wording import UserError
from cls_core.data import DataFormatError, load_split

DEMO_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
DEMO_FILES = {"class.txt": "005e8813ad639c219e5902dc84889202b4a717b4238497d26c3fbd5e43927a86",
              "test.txt": "ebecc8c896635ad69730083ca7b81d37c42c9a5779bc05c9d2479d894e34f026"}


def verified_demo_dir(folder=DEMO_DATA_DIR):
    """The shipped test split's folder, once each file matches its sha256."""
    for name, digest in DEMO_FILES.items():
        path = Path(folder) / name
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing from this copy of the repository")
        with open(path, "rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != digest:
                raise DataFormatError(f"{path} differs from the published test split (sha256 mismatch)")
    return Path(folder)


def test_split_dir(data_dir):
    """Where the test split is read from: data_dir if it holds a test.txt, else data/demo/."""
    return Path(data_dir) if (Path(data_dir) / "test.txt").exists() else verified_demo_dir()



def load_test_split(data_dir):
    """The served test split (a Dataset); UserError, for the page, when it cannot be read."""
    try:
        return load_split(test_split_dir(data_dir), "test")
    except (FileNotFoundError, DataFormatError) as e:
        raise UserError("error_no_test_split", error=str(e)) from None

