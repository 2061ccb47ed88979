"""The test splits the app serves. THUCNews's: a test.txt in the data directory (--data-dir,
$CLS_DATA_DIR) if there is one, else the published split shipped in data/demo/, read only
once each file matches its published sha256. The demo needs no other dataset: the
Overview's train and dev counts come from what the checkpoints recorded. A models folder of
your own (models/NAME) brings its own: models/NAME/test.tsv, read against its models' labels."""

from cls_core.app.wording import UserError
from cls_core.data import DataFormatError
from cls_core.data.splits import folder_of_test_split
from cls_core.data.test_file import TestFile

# The test sets Evaluate offers: the model's own test split, or headlines of an outlet the
# models never trained on (the Toutiao slice in data/outlet/; THUCNews's classes only).
TEST_SETS = ("test", "outlet")


def served_test_file(data_dir, models_folder=None, classes=None, test_set="test"):
    """The TestFile served: models_folder's test.tsv (its labels indexing classes) when given,
    else THUCNews's test split (UserError, for the page, when neither the data directory nor
    data/demo/ holds one). test_set "outlet": the other outlet's slice, read against classes."""
    if test_set not in TEST_SETS:
        raise UserError("error_test_set", name=repr(test_set), sets=", ".join(TEST_SETS))
    if test_set == "outlet":
        return TestFile.outlet(classes)
    if models_folder is not None:
        return TestFile.labelled(models_folder / "test.tsv", classes)
    try:
        return TestFile.thucnews(folder_of_test_split(data_dir))
    except (FileNotFoundError, DataFormatError) as e:
        raise UserError("error_no_test_split", error=str(e)) from None


def load_test_split(test):
    """The Dataset of a TestFile; UserError, for the page, when it cannot be read."""
    try:
        return test.read()
    except (FileNotFoundError, DataFormatError) as e:
        raise UserError("error_no_test_split", error=str(e)) from None
