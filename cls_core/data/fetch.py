"""Fetching the dataset and checking it.

python -m cls_core.data fetch --source ../shared/data/THUCNews    # copy + verify
python -m cls_core.data check                                       # verify in place
"""

import argparse
import http.client
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from cls_core.data.outlets import write_halves, write_outlet_slice, write_own_labels
from cls_core.data.splits import (
    DEFAULT_DATA_DIR,
    KNOWN_FILES,
    SPLITS,
    DataFormatError,
    add_data_dir_argument,
    read_classes,
    read_split,
    resolve_data_dir,
    sha256_file,
)

PUBLIC_SOURCE = "https://raw.githubusercontent.com/649453932/Chinese-Text-Classification-Pytorch/master/THUCNews/data"


def check_data_dir(data_dir, strict_checksums=True):
    """Verify files, line counts, labels and (where known) sha256. Returns a list of lines."""
    data_dir = Path(data_dir)
    report = []
    classes = read_classes(data_dir / "class.txt")
    for split in SPLITS:
        texts, _ = read_split(data_dir / f"{split}.txt", len(classes))
        report.append(f"{split}.txt: {len(texts)} headlines, labels in 0..{len(classes) - 1}")
    for name, (lines, digest) in KNOWN_FILES.items():
        path = data_dir / name
        if not path.exists():
            if name.startswith("embedding"):
                report.append(f"{name}: absent (optional; needed for --embedding tencent)")
                continue
            raise FileNotFoundError(path)
        actual = sha256_file(path)
        if actual != digest:
            message = f"{name}: sha256 {actual} differs from the published {digest}"
            if strict_checksums:
                raise DataFormatError(message + " (use --no-verify for another split)")
            report.append("warning: " + message)
        else:
            report.append(f"{name}: sha256 ok")
    return report


def download(url, target):
    """Save url at target, whole. urllib ends a transfer cut short quietly, as if the file
    were shorter (and a split cut at a line's end still reads as one): compare with the
    length the server promised."""
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as f:
        shutil.copyfileobj(response, f)
        promised = response.headers.get("Content-Length")
        if promised is not None and f.tell() != int(promised):
            raise OSError(f"the transfer stopped after {f.tell():,} of {int(promised):,} bytes")


def fetch(source, dest, verify=True):
    """Copy the dataset from a local folder or an http(s) base URL into dest.

    Everything is fetched and checked in a staging folder beside dest first; a folder
    already at dest is moved aside, the new one renamed in, and only then the old one
    deleted. Any failure leaves dest as it was.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest.parent))
    try:
        for name in KNOWN_FILES:
            target = staging / name
            if str(source).startswith(("http://", "https://")):
                url = f"{str(source).rstrip('/')}/{name}"
                try:
                    download(url, target)
                except urllib.error.HTTPError as e:
                    if e.code == 404 and name.startswith("embedding"):
                        continue  # optional, and the public repository ships them in another form
                    raise OSError(f"could not download {url}: {e}") from e
                except (OSError, http.client.HTTPException) as e:
                    raise OSError(f"could not download {url}: {e}") from e
            elif (Path(source) / name).exists():
                shutil.copyfile(Path(source) / name, target)
            elif not name.startswith("embedding"):
                raise FileNotFoundError(f"{Path(source) / name} not found")
        report = check_data_dir(staging, strict_checksums=verify)
        replace_folder(staging, dest)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cls_core.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="copy the dataset here and verify it")
    f.add_argument("--source", default=PUBLIC_SOURCE, help="local folder or http(s) base URL")
    f.add_argument("--dest", default=str(DEFAULT_DATA_DIR))
    f.add_argument("--no-verify", action="store_true", help="accept files whose sha256 differs")
    c = sub.add_parser("check", help="verify a data directory in place")
    add_data_dir_argument(c)
    h = sub.add_parser(
        "halves",
        help="draw the fit and report halves of the other outlets' sets (data/halves/*.sha256; cls_core.data.outlets)",
    )
    add_data_dir_argument(h)
    o = sub.add_parser(
        "nlpcc-alone",
        help="write NLPCC's train lines and its fit half in its own labels, for the labels its map names "
        "(OUT/train.tsv, OUT/fit.tsv: --train-file and --dev-file of a model that learns NLPCC alone)",
    )
    o.add_argument("out")
    add_data_dir_argument(o)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            report = fetch(args.source, args.dest, verify=not args.no_verify)
            report.append(f"dataset ready in {args.dest}")
        elif args.command == "halves":
            written = write_halves(args.data_dir) + [write_outlet_slice(args.data_dir)]
            report = [f"{path}: {n} lines" for path, n in written]
        elif args.command == "nlpcc-alone":
            report = [f"{path}: {n} lines" for path, n in write_own_labels(args.out, args.data_dir)]
        else:
            report = check_data_dir(resolve_data_dir(args.data_dir))
    except (OSError, DataFormatError) as e:
        sys.exit(f"error: {e}")
    print("\n".join(report))


def replace_folder(new, dest):
    """Rename folder new onto dest: an old dest is moved aside first and deleted last, so that
    dest is whole at every moment, the old one or the new one."""
    new, dest = Path(new), Path(dest)
    aside = new.with_name(new.name + ".old")
    if dest.exists():
        dest.rename(aside)
    try:
        new.rename(dest)
    except BaseException:
        if aside.exists():
            aside.rename(dest)
        raise
    shutil.rmtree(aside, ignore_errors=True)


if __name__ == "__main__":
    main()
