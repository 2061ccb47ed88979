"""The models the app serves: the shipped checkpoints, and every model of your own found
under a models folder (models/NAME/MODEL.pt or .npz, trained on your own labelled data).

    registry = ModelRegistry.load("checkpoints", device="cpu", models_dir="models")
    registry.names()       # ['BiLSTM-attention', 'TextCNN', 'Linear (TF-IDF + SVM)', ENSEMBLE,
                           #  'mine/bilstm_att', 'mine/linear', 'mine/textcnn', 'mine/' + ENSEMBLE]
    registry.predictor("TextCNN")     # a models.predictor.Predictor
    registry.folder_of("mine/linear") # 'mine' (None for a shipped model)

The shipped models keep their names, and only they form the THUCNews ensemble (ENSEMBLE).
A model of your own is named NAME/MODEL after its file; the models of one folder share
their labels and splits, and two or more of them form that folder's own ensemble
(NAME/ENSEMBLE), its unsure threshold fitted on the folder's dev.tsv.

`add_folder` and `remove_folder` load and unload one folder while the app runs (a Train tab
adds what it trained). They swap whole dictionaries, never change one in place, so a request
going through the models meanwhile sees either the old set or the new one.

A checkpoint that does not load leaves the others working; why it did not is kept in
`unavailable` and shown on the page.
"""

import threading
from pathlib import Path

from cls_core.app.concurrency import ModelLock
from cls_core.app.i18n import text
from cls_core.app.wording import ENSEMBLE, UserError, model_label
from cls_core.data import DataFormatError
from cls_core.data.labelled import read_labelled_file
from cls_core.models.checkpoint import CheckpointError
from cls_core.models.hub import is_model_folder
from cls_core.models.predictor import SHIPPED_MODELS, Ensemble, Predictor, ensemble_record, load_ensemble, shipped_path
from cls_core.models.unsure import fit_confidence_threshold

LOAD_ERRORS = (CheckpointError, RuntimeError, OSError, ValueError, KeyError)
MODEL_SUFFIXES = (".pt", ".npz")


def folder_ensemble_name(folder):
    """The name of the ensemble of one models folder's models."""
    return f"{folder}/{ENSEMBLE}"


def model_files(folder):
    """The checkpoints of a models folder, by name: MODEL.pt and MODEL.npz (never the resume
    state a training run leaves while it runs, MODEL.last.pt), and MODEL/, a model exported
    for the Hugging Face Hub (python -m cls_core.export)."""
    return sorted(
        p
        for p in Path(folder).iterdir()
        if (p.is_file() and p.suffix in MODEL_SUFFIXES and not p.name.endswith(".last.pt")) or is_model_folder(p)
    )


def load_folder(folder, device="auto", precision="auto"):
    """({NAME/MODEL: Predictor}, {NAME/MODEL: why it did not load}) of one models folder."""
    folder = Path(folder)
    models, unavailable = {}, {}
    for path in model_files(folder):
        name = f"{folder.name}/{path.stem}"
        try:
            models[name] = Predictor.load(path, device, precision)
        except LOAD_ERRORS as e:
            unavailable[name] = str(e)
    return models, unavailable


class ModelRegistry:
    def __init__(self, models, checkpoint_dir, unavailable=None, device="auto", precision="auto"):
        self.models = dict(models)  # display name -> Predictor (shipped, then own)
        self.checkpoint_dir = Path(checkpoint_dir)
        self.unavailable = dict(unavailable or {})  # display name -> why it did not load
        self.device, self.precision = device, precision  # what add_folder loads with
        self.folders = {}  # NAME -> the models folder models/NAME
        self._ensembles = {}  # NAME/ENSEMBLE -> its Ensemble, once fitted
        self._guard = threading.Lock()  # held while the dictionaries above are swapped
        # one per name served, made here: a lock asked for by any other name (a request's
        # model name is the visitor's text) is refused, not made and kept for ever
        self._locks = {name: ModelLock() for name in self.names()}

    @classmethod
    def load(cls, checkpoint_dir="checkpoints", device="auto", precision="auto", models_dir=None):
        """The shipped models of checkpoint_dir (files, or exported folders), then every folder of models_dir."""
        models, unavailable = {}, {}
        for name, filename in SHIPPED_MODELS.items():
            try:
                models[name] = Predictor.load(shipped_path(checkpoint_dir, filename), device, precision)
            except LOAD_ERRORS as e:
                unavailable[name] = str(e)
        registry = cls(models, checkpoint_dir, unavailable, device, precision)
        if models_dir is not None and Path(models_dir).is_dir():
            for folder in sorted(p for p in Path(models_dir).iterdir() if p.is_dir() and not p.name.startswith(".")):
                registry.add_folder(folder)
        return registry

    # --- one models folder in, or out, while the app runs ---------------------------------

    def add_folder(self, path):
        """Load every checkpoint of one models folder (models/NAME), named NAME/MODEL, and their
        ensemble when there are two or more; what NAME served before is replaced. Returns the
        names added (the ensemble's last)."""
        path = Path(path)
        models, unavailable = load_folder(path, self.device, self.precision)  # slow: outside the guard
        if not models and not unavailable:  # no checkpoint there (yet): nothing to serve
            self.remove_folder(path.name)
            return []
        with self._guard:
            kept = {n: p for n, p in self.models.items() if self.folder_of(n) != path.name}
            self.models = {**kept, **models}
            self.unavailable = {
                **{n: e for n, e in self.unavailable.items() if self.folder_of(n) != path.name},
                **unavailable,
            }
            self.folders = {**self.folders, path.name: path}
            self._ensembles = {n: e for n, e in self._ensembles.items() if self.folder_of(n) != path.name}
            self._locks = {name: self._locks.get(name) or ModelLock() for name in self.names()}
        return [n for n in self.names() if self.folder_of(n) == path.name]

    def remove_folder(self, name):
        """Unload the models of models/NAME (NAME/*); returns the names removed."""
        with self._guard:
            removed = [n for n in self.names() if self.folder_of(n) == name]
            self.models = {n: p for n, p in self.models.items() if self.folder_of(n) != name}
            self.unavailable = {n: e for n, e in self.unavailable.items() if self.folder_of(n) != name}
            self.folders = {k: v for k, v in self.folders.items() if k != name}
            self._ensembles = {n: e for n, e in self._ensembles.items() if self.folder_of(n) != name}
            self._locks = {n: lock for n, lock in self._locks.items() if n in self.names()}
        return removed

    def identity(self, name):
        """(name, its checkpoint's sha256; an ensemble's: its members'): what a result kept for a
        model is filed under, so that a model replaced under its name gets none of the old one's."""
        return name, self.predictor(name).sha256

    # --- names ------------------------------------------------------------------------------

    @staticmethod
    def folder_of(name):
        """The models folder a model's name says it comes from (NAME of NAME/MODEL); None for a
        shipped model or the THUCNews ensemble (no shipped name holds a '/')."""
        folder, sep, _ = name.rpartition("/")
        return folder if sep else None

    def precisions(self):
        """{display name: "fp32" or "bf16"}: what each loaded model computes in."""
        return {name: p.precision for name, p in self.models.items()}

    def problem_lines(self, lang="en"):
        """What could not be loaded, one line per model, in lang."""
        return [text("model_unavailable", lang, name=n, error=e) for n, e in self.unavailable.items()]

    # Each read below takes one snapshot of self.models (add_folder and remove_folder swap in a
    # new dictionary, never change the one in place), so that a folder removed by another request
    # in the middle of a read cannot make it look up a name that is gone.

    def groups(self, models=None):
        """[(folder, [model names])]: the shipped models (folder None), then each models folder;
        the models of one group share their labels and their test split. models: the snapshot
        to read (default: what is served now)."""
        models = self.models if models is None else models
        out = {}
        for name in models:
            out.setdefault(self.folder_of(name), []).append(name)
        return list(out.items())

    def names(self, ensemble=True, models=None):
        """The loaded models group by group, each group's ensemble after its models when it
        has two or more of one label set (models: the snapshot to read)."""
        models = self.models if models is None else models
        out = []
        for folder, names in self.groups(models):
            out += names
            if ensemble and len(names) > 1 and len({tuple(models[n].classes) for n in names}) == 1:
                out.append(ENSEMBLE if folder is None else folder_ensemble_name(folder))
        return out

    def shipped_names(self, models=None):
        """The shipped models that loaded (what the THUCNews ensemble averages)."""
        return self.singles_in(None, models)

    def members(self, name):
        """The models an ensemble averages ([name] for a single model)."""
        if name == ENSEMBLE:
            return self.shipped_names()
        folder = self.folder_of(name)
        if name == folder_ensemble_name(folder):
            return self.singles_in(folder)
        return [name]

    def singles_in(self, folder=None, models=None):
        """The single models of one models folder (None: the shipped ones)."""
        return [n for n in (self.models if models is None else models) if self.folder_of(n) == folder]

    def singles_beside(self, name=None):
        """The single models of the group of model `name` (the shipped ones without a name):
        the models that share its labels and test split."""
        return self.singles_in(self.folder_of(name) if name else None)

    def network_names(self):
        """The neural networks (not the linear model): what has a representation to map."""
        return [n for n, p in self.models.items() if p.encoder is not None]

    def choices(self, lang="en", ensemble=True, networks=False):
        """[(label in lang, name)] for a picker (networks: only the neural networks). The page's
        pickers call it again to refresh when models come or go."""
        names = self.network_names() if networks else self.names(ensemble)
        return [(model_label(n, lang), n) for n in names]

    @property
    def classes(self):
        """The THUCNews classes of the shipped models (see classes_of for any model)."""
        models = self.models
        shipped = self.shipped_names(models)
        return models[shipped[0]].classes if shipped else []

    def classes_of(self, name):
        """The label names of a loaded model (or ensemble), in the order its outputs give them."""
        return self.predictor(name).classes

    def predictor(self, name):
        """The Predictor of a loaded model, or an Ensemble (ENSEMBLE, NAME/ENSEMBLE)."""
        models = self.models
        if name == ENSEMBLE and name in self.names(models=models):
            return load_ensemble([models[n] for n in self.shipped_names(models)], self.checkpoint_dir)
        ensemble = self._ensembles.get(name)
        if ensemble is not None:
            return ensemble
        folder = self.folder_of(name)
        if folder is not None and name == folder_ensemble_name(folder) and name in self.names(models=models):
            return self._fit_folder_ensemble(name)
        predictor = models.get(name)
        if predictor is None:
            raise UserError("error_not_loaded", name=repr(name))
        return predictor

    def _fit_folder_ensemble(self, name):
        """A folder's ensemble: its threshold as recorded beside its models (ensemble.metrics.json
        for exactly these members), else fitted on the folder's dev.tsv (none without one).
        Fitted once; two requests at once may both fit it, to the same threshold."""
        folder, members = self.folders.get(self.folder_of(name)), [self.models.get(n) for n in self.members(name)]
        if folder is None or not members or None in members:  # removed meanwhile
            raise UserError("error_not_loaded", name=repr(name))
        record = ensemble_record(folder, members)
        ensemble = Ensemble(members, record.get("unsure_threshold") if record else None)
        if record is None and (folder / "dev.tsv").exists():
            try:
                dev = read_labelled_file(folder / "dev.tsv", classes=ensemble.classes)
                ensemble.unsure_threshold = fit_confidence_threshold(ensemble.predict_proba(dev.texts))
            except (DataFormatError, OSError):
                pass  # no threshold: the ensemble abstains only on unknown characters
        with self._guard:
            if all(self.models.get(n) is m for n, m in zip(self.members(name), members)):
                self._ensembles = {**self._ensembles, name: ensemble}
        return ensemble

    def lock(self, name):
        """The lock of one model's network: the flip search, and integrated gradients (Captum)
        on the network's copy, put hooks on an embedding while they run, so no other request
        may run the network or its copy (inspection, units, the map) meanwhile. Prediction
        takes the fast path, which the hooks do not touch, and needs no lock. A ModelLock:
        cache builds take it .long(), looks inside .quick() (refused while a build holds it)."""
        lock = self._locks.get(name)
        if lock is None:
            raise UserError("error_not_loaded", name=repr(name))
        return lock

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
