"""`python -m cls_core.export --hub OUT_DIR [--model NAME ...]`: the models as folders to upload
to the Hugging Face Hub, forwarded to the report layer (cls_core.app.report.hub_card), which
writes their model cards."""

from cls_core.app.report.hub_card import SHIPPED, main, repo_id  # noqa: F401

if __name__ == "__main__":
    main()
