"""What the app shares between all its visitors: the models (cls_core.app.registry), the test
split served (cls_core.app.served_data), the reports computed so far
(cls_core.app.evaluations), the gates that bound heavy work (cls_core.app.concurrency), the
folder of downloads, and the visitors' corrections when they are kept (cls_core.app.corrections).

    demo = Demo.load("checkpoints", "data/THUCNews", device="cpu", models_dir="models")
    predict(demo, "国足3:0完胜泰国队", demo.model_names())      # cls_core.app.views.predict
    demo.test_split("mine/textcnn")   # the test split a model is measured on (its own, for yours)

What each tab shows is a view of it (cls_core.app.views), and the API's answers are in
cls_core.app.api; the page (cls_core.app.tabs) wires Gradio widgets to them.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

from cls_core.app.concurrency import Gates
from cls_core.app.evaluations import Evaluations
from cls_core.app.inputs import Downloads
from cls_core.app.recent import Recent
from cls_core.app.registry import ModelRegistry
from cls_core.app.served_data import load_test_split, served_test_file
from cls_core.app.views.overview import model_rows
from cls_core.app.wording import ENSEMBLE, UserError

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
    review: bool = False  # show the corrections' review tab (app.py --review)
    training: object = None  # cls_core.app.training_jobs.TrainingQueue; None: no Train tab (app.py --allow-training)
    _tests: dict = field(default_factory=dict)  # test file -> its Dataset, read at first use
    _tests_guard: object = field(default_factory=threading.Lock)

    @classmethod
    def load(
        cls, checkpoint_dir="checkpoints", data_dir="data/THUCNews", device="auto", precision="auto", models_dir=None
    ):
        return cls(ModelRegistry.load(checkpoint_dir, device, precision, models_dir), Path(data_dir))

    @property
    def models(self):
        """{display name: Predictor} of the models that loaded."""
        return self.registry.models

    @property
    def checkpoint_dir(self):
        return self.registry.checkpoint_dir

    @property
    def classes(self):
        """The THUCNews classes (the shipped models'); a model's own: classes_of(name)."""
        return self.registry.classes

    def classes_of(self, name):
        return self.registry.classes_of(name)

    def model_names(self, ensemble=True):
        return self.registry.names(ensemble)

    def predictor(self, name):
        return self.registry.predictor(name)

    def model_rows(self):
        return model_rows(self.registry)

    def test_file(self, name=None, test_set="test"):
        """The test split a model is measured on (cls_core.data.test_file.TestFile): THUCNews's
        for the shipped models (and without a name), models/NAME/test.tsv for one of yours;
        test_set "outlet": the headlines of an outlet never trained on, for a model of
        THUCNews's classes (UserError for another)."""
        folder = self.registry.folder_of(name) if name else None
        if test_set == "outlet":
            if name and self.classes_of(name) != self.classes:
                raise UserError("error_outlet_classes", name=name)
            return served_test_file(self.data_dir, classes=self.classes, test_set=test_set)
        return served_test_file(
            self.data_dir, self.registry.folders.get(folder), folder and self.classes_of(name), test_set
        )

    def test_split(self, name=None, test_set="test"):
        """The Dataset of test_file(name, test_set), read at first use."""
        test = self.test_file(name, test_set)
        with self._tests_guard:
            if test in self._tests:
                return self._tests[test]
        dataset = load_test_split(test)
        with self._tests_guard:
            self._tests[test] = dataset
        return dataset
