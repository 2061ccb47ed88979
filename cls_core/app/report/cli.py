"""`python -m cls_core.report`: the report to hand out, the model card, and the record both
are written from.

    python -m cls_core.report --lang zh-CN --out report.html   # one HTML file; prints its size and seconds
    python -m cls_core.report --model-card                      # MODEL_CARD.md and MODEL_CARD.zh-CN.md
    python -m cls_core.report --record                          # measure checkpoints/report-record.json

The first two run no model; --record runs every shipped model over the shipped test split
(a few minutes on 2 cores), and is needed again after a checkpoint changes.
"""

import argparse
import sys
import time

from cls_core.app.i18n import LANGUAGES
from cls_core.app.report.model_card import write_cards
from cls_core.app.report.page import write_report
from cls_core.app.report.record import Records


def main(argv=None):
    started = time.perf_counter()
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lang", default="en", choices=list(LANGUAGES), help="the report's language")
    parser.add_argument("--out", default="report.html", help="where to write the report")
    parser.add_argument("--model-card", action="store_true", help="write the model cards instead of a report")
    parser.add_argument("--record", action="store_true", help="measure checkpoints/report-record.json first")
    args = parser.parse_args(argv)
    if args.record:
        from cls_core.app.report import measure  # imports torch, which the report itself never needs

        measure.build()
        return
    try:
        records = Records.load()
    except FileNotFoundError as e:
        sys.exit(f"error: {e}")
    for problem in records.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.model_card:
        for path in write_cards(records):
            print(f"{path.name} written")
        return
    size, seconds = write_report(records, args.lang, args.out)
    print(
        f"{args.out}: {size / 1e6:.2f} MB, written in {seconds:.1f} s "
        f"({time.perf_counter() - started:.1f} s with the records read)"
    )


if __name__ == "__main__":
    main()
