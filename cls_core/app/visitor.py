"""One visitor's state: what they asked on each tab, as keys (models, headlines, the
language), never copies of results. Every view is drawn from it (cls_core.app.tabs), so a
change of language redraws whatever the visitor has seen, from results the app keeps
(cls_core.app.recent, the evaluation store, the on-disk caches), without running a model.

A Visitor is immutable: an event returns a new one (`dataclasses.replace`).
"""

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Visitor:
    lang: str = "en"
    tab: str = "predict"
    hints: dict = field(default_factory=dict)  # tab -> (i18n key, fields) of what its last question lacked
    # (tab, headline, record id, model, answer, topic) of the correction kept last: its thanks are
    # shown under that answer, and drawn again in the new language at a switch
    acknowledged: tuple = ()
    # Predict
    headline: str = ""
    models: tuple = ()
    truth: str = ""  # the true class of a random test headline, while it is shown
    predicted: bool = False
    batch: tuple = ()  # (CSV path, headlines, skipped, models) of the last file predicted
    # Inside
    inside_headline: str = ""
    inside_model: str = ""
    layer: int = 2
    direction: str = "forward"
    looked: bool = False
    units_of: str = ""  # the model whose hidden units are listed
    unit: str = ""  # "layer/direction/unit" picked
    topic: str = ""  # the class name Inside explains ("": the answer)
    rather_than: str = ""  # the class name it is explained against ("": none)
    # Map
    map_model: str = ""  # the model whose map is drawn
    # Evaluate
    evaluated: tuple = ()  # the models evaluated, in order; the last one's report is shown
    test_set: str = "test"  # what they were evaluated on: "test" (their test split) or "outlet" (another outlet)
    normalized: bool = False
    cell: tuple = ()  # (true, predicted) class indices of the confusion cell clicked
    predictions_csv: str = ""
    agreement: bool = False
    disagreements: bool = False
    # Overview
    data_set: str = "THUCNews"  # whose headlines are counted: THUCNews, or a models folder of yours
    # Train (app.py --allow-training)
    train_upload: str = ""  # the uploaded file checked, until a training takes it
    train_job: str = ""  # the id of the visitor's last training (cls_core.app.training_jobs)
    train_model: str = ""  # the trained model picked to download or delete
    train_deleting: str = ""  # the trained model the visitor asked to delete, until confirmed or kept

    def with_hint(self, tab, error):
        """This visitor with the hint of a UserError shown on tab."""
        return replace(self, hints={**self.hints, tab: (error.key, error.fields)})

    def without_hint(self, tab):
        return replace(self, hints={k: v for k, v in self.hints.items() if k != tab})
