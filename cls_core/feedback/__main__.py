"""Review the corrections visitors made.

python -m cls_core.feedback list   [--db PATH]                       # counts per (answer -> correction), then each one
python -m cls_core.feedback export [--db PATH] --out corrections.tsv  # text<TAB>class name, for --extra-train
"""

import argparse
import sys
from pathlib import Path

from cls_core.feedback.store import FeedbackStore, default_db_path


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m cls_core.feedback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("command", choices=["list", "export"])
    p.add_argument("--db", default=None, help=f"the database (default {default_db_path()})")
    p.add_argument("--out", help="export: the TSV to write")
    args = p.parse_args(argv)
    path = Path(args.db) if args.db else default_db_path()
    if not path.exists():
        sys.exit(f"error: no feedback database at {path}")
    store = FeedbackStore(path)
    if args.command == "export":
        if not args.out:
            sys.exit("error: export needs --out FILE")
        print(f"{store.export(args.out)} corrections written to {args.out}")
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
