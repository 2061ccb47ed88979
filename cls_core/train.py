"""`python -m cls_core.train` (and `torchrun ... -m cls_core.train`): forwarded to the
training layer (cls_core.training.train)."""

from cls_core.training.train import main

if __name__ == "__main__":
    main()
