"""`python -m cls_core.evaluate`: forwarded to the evaluation layer (cls_core.evaluation.evaluate)."""

from cls_core.evaluation.evaluate import main

if __name__ == "__main__":
    main()
