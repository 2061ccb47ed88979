"""The evaluation layer: test-split reports, accuracy by slice, robustness. Imports data and models."""
