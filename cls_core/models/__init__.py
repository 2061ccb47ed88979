"""The models layer: networks, their fast path, the linear model, calibration, checkpoints,
and Predictor (a loaded checkpoint that answers for headlines). Imports only cls_core.data."""
