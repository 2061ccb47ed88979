"""headline-lens core, in layers; each imports only the layers above it in this list:

    data/        THUCNews splits read strictly, pretrained vectors, normalisation, text -> ids
    models/      the networks, their fast path, the linear model, calibration, checkpoints,
                 Predictor and its verdicts
    training/    the training loop, distributed set-up, out-of-fold teachers, the experiments
    evaluation/  test-split reports, slices, robustness
    explain/     occlusion and attention, integrated gradients, counterfactuals, hidden units,
                 the map, and the cache of what they compute once per checkpoint
    feedback/    visitors' corrections kept in SQLite, listed and exported (no gradio there)
    app/         what the page needs: models loaded for the app, the tab views, figures, words
    bench/       the benchmarks

`python -m cls_core.train`, `.evaluate`, `.predict` and `.report` are forwarded to their layers
(the report to hand out and the model card live in app/report/: the Overview offers the report).
"""
