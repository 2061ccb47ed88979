"""`python -m cls_core.report`: forwarded to the report (cls_core.app.report.cli)."""

from cls_core.app.report.cli import main

if __name__ == "__main__":
    main()
