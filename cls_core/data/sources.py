"""Headlines of other outlets: labelled files whose own labels are mapped to the model's classes.

A source is named on the command line as

    --extra-train FILE[,map=MAPFILE][,weight=W][,per_label=N][,second_head=W2][,marked]

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

second_head=W2 keeps every line, whatever its label, and the file's own labels teach a second
classifier over the network's features at weight W2 (NLPCC's car, military, travel... teach
the encoder too, though no class of the model is theirs). The second head is for training
alone: the checkpoint holds the network without it. A line whose label the map leaves out
then teaches the second head alone; the linear model, which has no second head, leaves it out.

marked puts MARK before each of the file's headlines: while it learns, the model can tell
these lines from THUCNews's, and what is the source's own (its share of each class, the
labels it never uses, its turns of phrase) goes to the marker rather than to every headline.
MARK is a private-use character, which normalize_headline drops: no headline the model reads
at prediction time holds it, so it answers every headline as an unmarked (THUCNews) one.
A source's headlines are read as the models read text (normalize_headline), then marked.
"""

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cls_core.data.normalize import normalize_many
from cls_core.data.splits import DataFormatError, SecondLabels, _decoded_lines, _read_labelled, sha256_file

# Put before a marked source's headlines while a model learns (see the module docstring).
MARK = "\ue000"


@dataclass
class SourceSpec:
    """One --extra-train argument: the file and how its labels and lines are used."""

    path: Path
    map_path: Path | None = None
    weight: float = 1.0
    per_label: int | None = None
    seed: int = 0
    second_head: float | None = None
    marked: bool = False

    @classmethod
    def parse(cls, spec):
        """'FILE[,map=MAPFILE][,weight=W][,per_label=N][,second_head=W2][,marked]' -> SourceSpec;
        DataFormatError names what is wrong."""
        path, *options = str(spec).split(",")
        fields = {}
        for option in options:
            key, eq, value = option.partition("=")
            if (
                (key == "marked") == bool(eq)
                or key not in ("map", "weight", "per_label", "second_head", "marked")
                or key in fields
            ):
                raise DataFormatError(
                    f"--extra-train {spec}: {option!r} is not map=FILE, weight=W, per_label=N, "
                    f"second_head=W2 or marked (each at most once)"
                )
            fields[key] = value
        try:
            weight = float(fields.get("weight", 1.0))
            per_label = int(fields["per_label"]) if "per_label" in fields else None
            second_head = float(fields["second_head"]) if "second_head" in fields else None
        except ValueError:
            raise DataFormatError(
                f"--extra-train {spec}: weight and second_head must be numbers and per_label a whole number"
            ) from None
        for name, value in (("weight", weight), ("second_head", second_head)):
            if value is not None and not value > 0:
                raise DataFormatError(f"--extra-train {spec}: {name} must be above 0, not {value}")
        if per_label is not None and per_label < 1:
            raise DataFormatError(f"--extra-train {spec}: per_label must be at least 1, not {per_label}")
        return cls(
            Path(path),
            Path(fields["map"]) if "map" in fields else None,
            weight,
            per_label,
            second_head=second_head,
            marked="marked" in fields,
        )


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
            raise DataFormatError(
                f"{where}: {', '.join(map(repr, unknown))} is not a class of the model ({', '.join(classes)})"
            )
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
    """(texts, label sets, own labels, record) of one source (a SourceSpec): the lines whose
    label the map keeps (with spec.second_head: every line), each with the tuple of class
    indices it means (empty for a line the map leaves out) and its label in the file; the
    texts normalised (normalize_headline), with MARK before each when marked. record:
    path, sha256, map, weight and the lines used per class (set) and, with a second head,
    per own label."""
    if not spec.path.exists():
        raise FileNotFoundError(f"--extra-train: {spec.path} not found")
    if spec.map_path is None:
        mapping = {name: (i,) for i, name in enumerate(classes)}
        index = {name: i for i, name in enumerate(classes)}

        def label_of(label, where):
            if label not in index:
                raise DataFormatError(
                    f"{where}: label {label!r} is not a class of class.txt "
                    f"({', '.join(classes)}); a file of other labels needs map=FILE"
                )
            return label
    else:
        if not spec.map_path.exists():
            raise FileNotFoundError(f"--extra-train: map {spec.map_path} not found")
        mapping = read_label_map(spec.map_path, classes)

        def label_of(label, where):
            return label

    texts, labels = _read_labelled(spec.path, "label", label_of)
    texts = [MARK + t if spec.marked else t for t in normalize_many(texts)]
    kept = [(t, label) for t, label in zip(texts, labels) if spec.second_head or label in mapping]
    if spec.per_label is not None:
        rng, by_label = random.Random(spec.seed), {}
        for item in kept:
            by_label.setdefault(item[1], []).append(item)
        kept = [
            item
            for label in sorted(by_label)
            for item in (
                rng.sample(by_label[label], spec.per_label)
                if len(by_label[label]) > spec.per_label
                else by_label[label]
            )
        ]
    sets = [mapping.get(label, ()) for _, label in kept]
    if not any(sets):
        raise DataFormatError(f"{spec.path}: no line has a label the map keeps")
    used = Counter(set_name(s, classes) for s in sets if s)
    record = {
        "path": str(spec.path),
        "sha256": sha256_file(spec.path),
        "headlines": len(kept),
        "weight": spec.weight,
        "per_label": spec.per_label,
        "marked": spec.marked,
        "map": None
        if spec.map_path is None
        else {
            "path": str(spec.map_path),
            "sha256": sha256_file(spec.map_path),
            "labels": {label: set_name(s, classes) for label, s in mapping.items()},
        },
        "lines_per_class": dict(sorted(used.items())),
        "left_out": len(texts) - len(kept),
    }
    if spec.second_head:
        record["second_head"] = {
            "weight": spec.second_head,
            "lines_per_label": dict(sorted(Counter(label for _, label in kept).items())),
        }
    return [t for t, _ in kept], sets, [label for _, label in kept], record


def with_extra(dataset, specs):
    """dataset with the lines of each source in specs (--extra-train arguments, parsed by
    SourceSpec.parse) appended, their label sets and weights beside them, and a record of each
    source in dataset.extra. A line the map leaves out (kept for a second head) has the empty
    label set and label -1. With a second head, dataset.second has its classes, per line the
    index of its own label (-1: none) and its weight."""
    specs = [spec if isinstance(spec, SourceSpec) else SourceSpec.parse(spec) for spec in specs or ()]
    if sum(1 for spec in specs if spec.second_head) > 1:
        raise DataFormatError("--extra-train: second_head=W2 may be given to one source only")
    for spec in specs:
        texts, sets, own_labels, record = read_source(spec, dataset.classes)
        n = len(dataset.texts)
        label_sets = dataset.label_sets or [(label,) for label in dataset.labels]
        weights = dataset.weights or [1.0] * n
        if dataset.second is not None:
            dataset.second.lines += [-1] * len(texts)
        elif spec.second_head:
            second_classes = sorted(set(own_labels))
            index = {label: i for i, label in enumerate(second_classes)}
            dataset.second = SecondLabels(
                second_classes, [-1] * n + [index[label] for label in own_labels], spec.second_head
            )
        dataset.texts, dataset.labels = dataset.texts + texts, dataset.labels + [s[0] if s else -1 for s in sets]
        dataset.label_sets, dataset.weights = label_sets + sets, weights + [spec.weight] * len(texts)
        dataset.extra.append(record)
    return dataset
