"""What the app shares between all its visitors: the models (cls_core.app.registry), the test
split served (cls_core.app.served_data), the reports computed so far
(cls_core.app.evaluations), the gates that bound heavy work (cls_core.app.concurrency), the
folder of downloads, and the visitors' corrections when they are kept (cls_core.app.corrections).

    demo = Demo.load("checkpoints", "data/THUCNews", device="cpu")
    predict(demo, "国足3:0完胜泰国队", demo.model_names())      # cls_core.app.views.predict

What each tab shows is a view of it (cls_core.app.views), and the API's answers are in
cls_core.app.api; the page (cls_core.app.tabs) wires Gradio widgets to them.
"""

from dataclasses import dataclass, field
from pathlib import Path

from cls_core.app.concurrency import Gates
from cls_core.app.evaluations import Evaluations
from cls_core.app.inputs import Downloads
from cls_core.app.recent import Recent
from cls_core.app.registry import ModelRegistry
from cls_core.app.served_data import load_test_split
from cls_core.app.views.overview import model_rows
from cls_core.app.wording import ENSEMBLE

__all__ = ["Demo", "ENSEMBLE"]


@dataclass
class Demo:
    """The app's shared state; `Demo.load` reads the checkpoints, the rest comes at first use."""

    registry: ModelRegistry
    data_dir: Path
    gates: Gates = field(default_factory=Gates)
    evaluations: Evaluations = field(default_factory=Evaluations)
    downloads: Downloads = field(default_factory=Downloads)
    recent: Recent = field(default_factory=Recent)  # results of visitors' questions, to redraw views
    corrections: object = None  # cls_core.app.corrections.Corrections; None: nothing is ever stored
    review: bool = False        # show the corrections' review tab (app.py --review)
    training: object = None     # cls_core.app.training_jobs.TrainingQueue; None: no Train tab (app.py --allow-training)
    _test: object = None

    @classmethod
    def load(cls, checkpoint_dir="checkpoints", data_dir="data/THUCNews", device="auto", precision="auto"):
        return cls(ModelRegistry.load(checkpoint_dir, device, precision), Path(data_dir))

    @property
    def models(self):
        """{display name: Predictor} of the models that loaded."""
        return self.registry.models

    @property
    def checkpoint_dir(self):
        return self.registry.checkpoint_dir

    @property
    def classes(self):
        return self.registry.classes

    def model_names(self, ensemble=True):
        return self.registry.names(ensemble)

    def predictor(self, name):
        return self.registry.predictor(name)

    def model_rows(self):
        return model_rows(self.registry)

    def test_split(self):
        """The test split served (read at first use)."""
        if self._test is None:
            self._test = load_test_split(self.data_dir)
        return self._test
