"""The models the app serves: the shipped checkpoints, loaded once at start-up.

    registry = ModelRegistry.load("checkpoints", device="cpu")
    registry.names()                  # ['BiLSTM-attention', 'TextCNN', 'Linear (TF-IDF + SVM)', ENSEMBLE]
    registry.predictor("TextCNN")     # a models.predictor.Predictor

A checkpoint that does not load leaves the others working; why it did not is kept in
`unavailable` and shown on the page.
"""

import threading
from pathlib import Path

from cls_core.app.i18n import text
from cls_core.app.wording import ENSEMBLE, UserError, model_label
from cls_core.models.checkpoint import CheckpointError
from cls_core.models.predictor import SHIPPED_MODELS, Predictor, load_ensemble


class ModelRegistry:
    def __init__(self, models, checkpoint_dir, unavailable=None, device="auto", precision="auto"):
        self.models = dict(models)                # display name -> Predictor
        self.checkpoint_dir = Path(checkpoint_dir)
        self.unavailable = dict(unavailable or {})  # display name -> why it did not load
        self.device, self.precision = device, precision  # how models added later load
        self.folders = {}                         # models/NAME -> the names of its models (add_folder)
        # one per name served, made here: a lock asked for by any other name (a request's
        # model name is the visitor's text) is refused, not made and kept for ever
        self._locks = {name: threading.RLock() for name in self.names()}

    @classmethod
    def load(cls, checkpoint_dir="checkpoints", device="auto", precision="auto"):
        models, unavailable = {}, {}
        for name, filename in SHIPPED_MODELS.items():
            try:
                models[name] = Predictor.load(Path(checkpoint_dir) / filename, device, precision)
            except (CheckpointError, RuntimeError, OSError) as e:
                unavailable[name] = str(e)
        return cls(models, checkpoint_dir, unavailable, device, precision)

    def precisions(self):
        """{display name: "fp32" or "bf16"}: what each loaded model computes in."""
        return {name: p.precision for name, p in self.models.items()}

    def problem_lines(self, lang="en"):
        """What could not be loaded, one line per model, in lang."""
        return [text("model_unavailable", lang, name=n, error=e) for n, e in self.unavailable.items()]

    def names(self, ensemble=True):
        """The loaded models, then the ensemble of the shipped ones when there are two or more
        (models of one's own answer other classes: they stay out of it)."""
        names = list(self.models)
        return names + [ENSEMBLE] if ensemble and len(self.shipped()) > 1 else names

    def shipped(self):
        """The loaded models that are not of a folder of one's own (add_folder)."""
        own = {name for names in self.folders.values() for name in names}
        return [name for name in self.models if name not in own]

    def network_names(self):
        """The neural networks (not the linear model): what has a representation to map."""
        return [n for n, p in self.models.items() if p.encoder is not None]

    def choices(self, lang="en", ensemble=True, networks=False):
        """[(label in lang, name)] for a picker (networks: only the neural networks)."""
        names = self.network_names() if networks else self.names(ensemble)
        return [(model_label(n, lang), n) for n in names]

    @property
    def classes(self):
        return next(iter(self.models.values())).classes if self.models else []

    def predictor(self, name):
        """The Predictor of a loaded model, or the ensemble of them all (ENSEMBLE)."""
        if name == ENSEMBLE:
            return load_ensemble([self.models[n] for n in self.shipped()], self.checkpoint_dir)
        if name not in self.models:
            raise UserError("error_not_loaded", name=repr(name))
        return self.models[name]

    def lock(self, name):
        """The lock of one model's network: the flip search, and integrated gradients (Captum)
        on the network's copy, put hooks on an embedding while they run, so no other request
        may run the network or its copy (inspection, units, the map) meanwhile. Prediction
        takes the fast path, which the hooks do not touch, and needs no lock."""
        if name not in self._locks:
            raise UserError("error_not_loaded", name=repr(name))
        return self._locks[name]

    def window_count(self):
        """How many window sizes the convolutional models have (0 without one)."""
        return max((len(p.config.get("windows", [])) for p in self.models.values()), default=0)

    def rnn_shape(self, name):
        """(layers, directions) of a recurrent model, None for the others (no such controls)."""
        predictor = self.models.get(name)
        if predictor is None or predictor.kind != "bilstm_att":
            return None
        return int(predictor.config.get("layers", 1)), 2 if predictor.config.get("bidirectional", True) else 1

    def has_units(self, name):
        """Whether the model has hidden units to show (the BiLSTM)."""
        return self.rnn_shape(name) is not None

    # --- models of one's own, trained in the browser (a minimal add/remove: see the report of
    # the Train tab's branch; the helper-models branch's registry supersedes it) -------------

    def add_folder(self, folder):
        """Load every checkpoint of folder (models/NAME) as a model named NAME/MODEL; returns
        the names. Nothing is added unless all of them load."""
        folder = Path(folder)
        paths = [p for p in sorted(folder.glob("*.pt")) + sorted(folder.glob("*.npz")) if not p.name.endswith(".last.pt")]
        loaded = {f"{folder.name}/{p.stem}": Predictor.load(p, self.device, self.precision) for p in paths}
        for name, predictor in loaded.items():
            self._locks[name] = threading.RLock()
            self.models[name] = predictor
        self.folders[folder.name] = list(loaded)
        return list(loaded)

    def remove_folder(self, name):
        """Serve the models of models/NAME no more (a request holding one finishes with it)."""
        for model in self.folders.pop(name, []):
            self.models.pop(model, None)
