"""A test split as what it is read from: its file (what caches and reports are keyed by)
and how to read that file. THUCNews's test.txt holds class indices beside a class.txt; a
test.tsv of your own data (models/NAME/test.tsv) holds `text<TAB>label name` lines, read
against the label names of the model that is measured on it.

    TestFile.thucnews("data/THUCNews").read()                      # a Dataset
    TestFile.labelled("models/mine/test.tsv", predictor.classes)    # the same, of your own file
    TestFile.outlet(classes)                # the Toutiao slice that ships (cls_core.data.outlets)
    as_test_file(data_dir_or_test_file)     # for functions that take a data directory too
"""

from dataclasses import dataclass
from pathlib import Path

from cls_core.data.labelled import read_labelled_file
from cls_core.data.outlets import MAPS_DIR, SHIPPED_OUTLET, SOURCES, mapped_dataset, read_lines, verified_outlet_slice
from cls_core.data.splits import load_split


@dataclass(frozen=True)
class TestFile:
    path: Path
    classes: tuple | None = None  # the label names a labelled file is read against; None: THUCNews format
    label_map: Path | None = None  # another outlet's labels -> classes (cls_core.data.sources); None: classes

    @classmethod
    def thucnews(cls, data_dir):
        """data_dir's test.txt, read with data_dir's class.txt."""
        return cls(Path(data_dir) / "test.txt")

    @classmethod
    def labelled(cls, path, classes):
        """A `text<TAB>label name` file, its labels indexing classes."""
        return cls(Path(path), tuple(classes))

    @classmethod
    def outlet(cls, classes):
        """The slice of Toutiao's report half that ships: an outlet the models never trained on."""
        return cls(SHIPPED_OUTLET, tuple(classes), MAPS_DIR / SOURCES["toutiao"][1])

    def read(self):
        """The split as a Dataset (FileNotFoundError or DataFormatError when it cannot be read)."""
        if self.label_map is not None:
            lines = read_lines(verified_outlet_slice() if self.path == SHIPPED_OUTLET else self.path)
            return mapped_dataset(lines, self.label_map, list(self.classes), self.path)
        if self.classes is None:
            return load_split(self.path.parent, self.path.stem)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path} not found")
        return read_labelled_file(self.path, classes=list(self.classes))


def as_test_file(data):
    """data itself when it is a TestFile, else the THUCNews test split of the data directory data."""
    return data if isinstance(data, TestFile) else TestFile.thucnews(data)
