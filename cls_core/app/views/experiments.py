"""Experiments: the tutorials' claims about recurrent networks, measured on our data by
`python -m cls_core.training.experiments` (checkpoints/experiments.json)."""

from cls_core.app import deep


def experiment_figures(demo, lang="en"):
    """{section: figure} (cls_core.app.deep_figures.experiments_figures), or None when the
    experiments have not been run."""
    view = deep.experiments_view(demo.checkpoint_dir / "experiments.json", lang)
    return None if view is None else view["figures"]
