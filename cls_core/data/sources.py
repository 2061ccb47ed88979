"""Headlines of other outlets: labelled files whose own labels are mapped to the model's classes.

A source is named on the command line as

    --extra-train FILE[,map=MAPFILE][,weight=W][,per_label=N]

FILE holds `headline<TAB>label` lines. Without a map its labels must be class names (what
`python -m cls_core.feedback export` writes). A map file says, a line per source label,
which classes that label means:

    # source label<TAB>classes, separated by spaces
    tech	science
    finance	finance stocks        # a set: "finance or stocks" (NLPCC files stock news under finance)

A label the map does not name is left out, with its lines. A line whose label means several
classes is learnt as such: its loss is -log of the summed probability of those classes
(cls_core.training.loop), and it is scored right when the answer is any of them
(cls_core.evaluation.evaluate). weight scales each of its lines' loss (the linear model: its
sample weight); per_label keeps at most N lines of each kept label (a seeded sample).
"""

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cls_core.data.splits import DataFormatError, _decoded_lines, _read_labelled, sha256_file


@dataclass
class SourceSpec:
    """One --extra-train argument: the file and how its labels and lines are used."""
    path: Path
    map_path: Path | None = None
    weight: float = 1.0
    per_label: int | None = None
    seed: int = 0

    @classmethod
    def parse(cls, spec):
        """'FILE[,map=MAPFILE][,weight=W][,per_label=N]' -> SourceSpec; DataFormatError names
        what is wrong."""
        path, *options = str(spec).split(",")
        fields = {}
        for option in options:
            key, eq, value = option.partition("=")
            if not eq or key not in ("map", "weight", "per_label") or key in fields:
                raise DataFormatError(f"--extra-train {spec}: {option!r} is not map=FILE, weight=W or per_label=N "
                                      f"(each at most once)")
            fields[key] = value
        try:
            weight = float(fields.get("weight", 1.0))
            per_label = int(fields["per_label"]) if "per_label" in fields else None
        except ValueError:
            raise DataFormatError(f"--extra-train {spec}: weight must be a number and per_label a whole number") \
                from None
        if not weight > 0:
            raise DataFormatError(f"--extra-train {spec}: weight must be above 0, not {weight}")
        if per_label is not None and per_label < 1:
            raise DataFormatError(f"--extra-train {spec}: per_label must be at least 1, not {per_label}")
        return cls(Path(path), Path(fields["map"]) if "map" in fields else None, weight, per_label)


def read_label_map(path, classes):
    """{source label: tuple of class indices} from a map file (`label<TAB>class [class ...]`,
    '#' starts a comment). An unknown class, a label named twice or a line without classes
    stops with DataFormatError naming file and line."""
    index = {name: i for i, name in enumerate(classes)}
    mapping = {}
    for number, line in _decoded_lines(path):
        line = line.partition("#")[0].strip()
        if not line:
            continue
        where = f"{path}:{number}"
        label, tab, names = line.partition("\t")
        names = names.split()
        if not tab or not names:
            raise DataFormatError(f"{where}: expected 'source label<TAB>class [class ...]'")
        unknown = [n for n in names if n not in index]
        if unknown:
            raise DataFormatError(f"{where}: {', '.join(map(repr, unknown))} is not a class of the model "
                                  f"({', '.join(classes)})")
        if label.strip() in mapping:
            raise DataFormatError(f"{where}: label {label.strip()!r} is mapped twice")
        mapping[label.strip()] = tuple(sorted({index[n] for n in names}))
    if not mapping:
        raise DataFormatError(f"{path}: maps no label")
    return mapping


def source_name(path):
    """A source as people know it: its folder and file (nlpcc2017/train.tsv), not a local path."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def set_name(label_set, classes):
    """'finance' or 'finance|stocks': how records and reports name a set of classes."""
    return "|".join(classes[i] for i in label_set)


def read_source(spec, classes):
    """(texts, label sets, record) of one source (a SourceSpec): the lines whose label the
    map keeps, each with the tuple of class indices it means. record: path, sha256, map,
    weight and the lines used per class (set)."""
    if not spec.path.exists():
        raise FileNotFoundError(f"--extra-train: {spec.path} not found")
    if spec.map_path is None:
        mapping = {name: (i,) for i, name in enumerate(classes)}
        index = {name: i for i, name in enumerate(classes)}

        def label_of(label, where):
            if label not in index:
                raise DataFormatError(f"{where}: label {label!r} is not a class of class.txt "
                                      f"({', '.join(classes)}); a file of other labels needs map=FILE")
            return label
    else:
        if not spec.map_path.exists():
            raise FileNotFoundError(f"--extra-train: map {spec.map_path} not found")
        mapping = read_label_map(spec.map_path, classes)

        def label_of(label, where):
            return label
    texts, labels = _read_labelled(spec.path, "label", label_of)
    kept = [(t, label) for t, label in zip(texts, labels) if label in mapping]
    if spec.per_label is not None:
        rng, by_label = random.Random(spec.seed), {}
        for item in kept:
            by_label.setdefault(item[1], []).append(item)
        kept = [item for label in sorted(by_label) for item in
                (rng.sample(by_label[label], spec.per_label) if len(by_label[label]) > spec.per_label
                 else by_label[label])]
    if not kept:
        raise DataFormatError(f"{spec.path}: no line has a label the map keeps")
    sets = [mapping[label] for _, label in kept]
    used = Counter(set_name(s, classes) for s in sets)
    record = {"path": str(spec.path), "sha256": sha256_file(spec.path), "headlines": len(kept),
              "weight": spec.weight, "per_label": spec.per_label,
              "map": None if spec.map_path is None else {
                  "path": str(spec.map_path), "sha256": sha256_file(spec.map_path),
                  "labels": {label: set_name(s, classes) for label, s in mapping.items()}},
              "lines_per_class": dict(sorted(used.items())),
              "left_out": len(texts) - len(kept)}
    return [t for t, _ in kept], sets, record


def with_extra(dataset, specs):
    """dataset with the lines of each source in specs (--extra-train arguments, parsed by
    SourceSpec.parse) appended, their label sets and weights beside them, and a record of each
    source in dataset.extra."""
    for spec in specs or ():
        spec = spec if isinstance(spec, SourceSpec) else SourceSpec.parse(spec)
        texts, sets, record = read_source(spec, dataset.classes)
        n = len(dataset.texts)
        label_sets = dataset.label_sets or [(label,) for label in dataset.labels]
        weights = dataset.weights or [1.0] * n
        dataset.texts, dataset.labels = dataset.texts + texts, dataset.labels + [s[0] for s in sets]
        dataset.label_sets, dataset.weights = label_sets + sets, weights + [spec.weight] * len(texts)
        dataset.extra.append(record)
    return dataset
