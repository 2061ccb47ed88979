"""The training layer: the training loop and its distributed set-up, out-of-fold teachers,
and the experiments. Imports data, models and evaluation."""
