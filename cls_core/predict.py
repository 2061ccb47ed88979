"""`python -m cls_core.predict` and `from cls_core.predict import Predictor, load_predictor`:
the names users know, forwarded to the models layer (cls_core.models.predictor)."""

from cls_core.models.predictor import Ensemble, Predictor, load_predictor, main  # noqa: F401

if __name__ == "__main__":
    main()
