"""Review the corrections visitors made.

python -m cls_core.feedback list   [--db PATH]                       # counts per (answer -> correction), then each one
python -m cls_core.feedback export [--db PATH] --out corrections.tsv  # text<TAB>class name, for --extra-train
    [--model NAME ...]        # the corrections of these models only (e.g. an own model, mine/textcnn)
    [--classes FILE]          # those whose label and answer are classes of FILE (default, without
                              # --model: the shipped models' data/demo/class.txt)

An export holds one label set, so that --extra-train takes it whole; beside it,
corrections.models.tsv says which model (and checkpoint) each line corrected. Neither command
writes to the database: a file of an older schema is read as it is.
"""

import argparse
import sys
from pathlib import Path

from cls_core.data import read_classes
from cls_core.data.splits import DEMO_DATA_DIR
from cls_core.feedback.store import FeedbackStore, default_db_path, models_path

SHIPPED_CLASSES = DEMO_DATA_DIR / "class.txt"  # the shipped models' classes


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m cls_core.feedback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("command", choices=["list", "export"])
    p.add_argument("--db", default=None, help=f"the database (default {default_db_path()})")
    p.add_argument("--out", help="export: the TSV to write")
    p.add_argument("--model", action="append", help="export: keep this model's corrections (repeatable)")
    p.add_argument("--classes", type=Path, help="export: keep corrections within this class.txt's label set")
    args = p.parse_args(argv)
    path = Path(args.db) if args.db else default_db_path()
    if not path.exists():
        sys.exit(f"error: no feedback database at {path}")
    store = FeedbackStore(path, read_only=True)
    if args.command == "export":
        if not args.out:
            sys.exit("error: export needs --out FILE")
        classes_file = args.classes or (None if args.model else SHIPPED_CLASSES)
        if classes_file is not None and not classes_file.exists():
            sys.exit(f"error: --classes {classes_file} not found")
        classes = None if classes_file is None else set(read_classes(classes_file))
        written, left_out = store.export(args.out, models=args.model, classes=classes)
        print(
            f"{written} corrections written to {args.out} (which model each corrected: {models_path(args.out)})"
            + (f"; {left_out} of other models or label sets left out" if left_out else "")
        )
        return
    print(f"{store.count()} corrections in {path}")
    for answer, correction, n in store.pair_counts():
        print(f"{n:6d}  {answer} -> {correction}")
    for r in store.rows():
        print(
            f"#{r['id']}\t{r['created']}\t{r['model']}\t{r['answer']} ({r['probability']:.2f}) -> "
            f"{r['correction']}\t{r['headline']}"
        )


if __name__ == "__main__":
    main()
