"""The test split the app serves: a test.txt in the data directory (--data-dir,
$CLS_DATA_DIR) if there is one, else the published split shipped in data/demo/, read only
once each file matches its published sha256. The demo needs no other dataset: the
Overview's train and dev counts come from what the checkpoints recorded."""

from cls_core.app.wording import UserError
from cls_core.data import DataFormatError, load_split
from cls_core.data.splits import folder_of_test_split

def load_test_split(data_dir):
    """The served test split (a Dataset); UserError, for the page, when it cannot be read."""
    try:
        return load_split(folder_of_test_split(data_dir), "test")
    except (FileNotFoundError, DataFormatError) as e:
        raise UserError("error_no_test_split", error=str(e)) from None

