"""headline-lens: classify Chinese news headlines and look inside the models.

    python app.py                      # http://127.0.0.1:7860, the shipped checkpoints
    python app.py --share              # plus a public link (add --auth on a public link)
    python app.py --auth user:secret   # require a login (or set APP_AUTH)
    GRADIO_SERVER_NAME=0.0.0.0 GRADIO_SERVER_PORT=7860 python app.py   # as a host runs it (or PORT=...)
    python app.py --review             # also a tab reviewing visitors' corrections
    python app.py --feedback-db PATH   # where corrections are kept (--no-feedback: nowhere)
    python app.py --models DIR         # also serve your own models, DIR/NAME/MODEL.pt as NAME/MODEL
    python app.py --allow-training     # also a tab training models on visitors' own labelled files
                                       # (into --models, default models/; refused without --auth anywhere but 127.0.0.1)
    python app.py --mcp                # also an MCP server for AI assistants (or GRADIO_MCP_SERVER=true):
                                       # http://127.0.0.1:7860/gradio_api/mcp/ (refused with --auth)

Links open a view directly: /?tab=inside&model=TextCNN&headline=国足3:0完胜泰国队&lang=zh-CN
(tab: predict, inside, map, evaluate, experiments, overview, and review or train where shown;
model: one name, or several joined by commas; a model of your own: model=NAME/MODEL). On the
map, clicking a point opens its headline in Inside.

This file only reads the arguments, loads the models and starts the page
(cls_core.app.tabs.page, one module per tab there).
"""

import argparse
import atexit
import functools
import os
import sqlite3
import sys
from pathlib import Path

from cls_core.app.allocator import limit_fragmentation

limit_fragmentation()  # before torch or Gradio start a thread: see cls_core/app/allocator.py
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from cls_core.app.address import check_gradio_port_variable, is_loopback, listen_address, parse_port  # noqa: E402

try:  # Gradio reads $GRADIO_SERVER_PORT as it is imported, and stops on a bad one with a bare ValueError
    check_gradio_port_variable()
except ValueError as e:
    sys.exit(f"error: {e}")

from cls_core.app.concurrency import QUEUE_SIZE, WORKERS  # noqa: E402
from cls_core.app.corrections import Corrections  # noqa: E402
from cls_core.app.inputs import MAX_UPLOAD_BYTES  # noqa: E402
from cls_core.app.service import Demo  # noqa: E402
from cls_core.app.serving import configure_for_serving  # noqa: E402
from cls_core.app.tabs.page import CSS, PAGE_JS, build_page  # noqa: E402
from cls_core.app.training_jobs import TrainingQueue, training_command  # noqa: E402
from cls_core.data import resolve_data_dir  # noqa: E402
from cls_core.data.labelled import MAX_BYTES as MAX_TRAINING_FILE_BYTES  # noqa: E402
from cls_core.feedback import DEFAULT_MAX_MB, FeedbackStore, default_db_path  # noqa: E402
from cls_core.models.precision import add_precision_argument  # noqa: E402


def port_argument(text):
    try:
        return parse_port(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # No defaults here: a flag left out falls to the host's environment, then to 127.0.0.1:7860
    # (cls_core/app/address.py).
    p.add_argument("--host", help="default: $GRADIO_SERVER_NAME, else 127.0.0.1")
    p.add_argument("--port", type=port_argument, help="default: $GRADIO_SERVER_PORT, else $PORT, else 7860")
    p.add_argument("--share", action="store_true", help="also serve a public gradio.live link")
    p.add_argument("--auth", default=os.environ.get("APP_AUTH"), help="USER:PASS login (or env APP_AUTH)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    add_precision_argument(p)
    p.add_argument("--checkpoints", default="checkpoints")
    p.add_argument(
        "--models",
        type=Path,
        default=Path("models") if Path("models").is_dir() else None,
        help="serve every model of your own under DIR too: DIR/NAME/MODEL.pt (or .npz) as "
        "NAME/MODEL, measured on DIR/NAME/test.tsv (default: models/ when there is one)",
    )
    p.add_argument(
        "--data-dir",
        help="default: $CLS_DATA_DIR, then data/THUCNews; the test split falls back to the copy shipped in data/demo/",
    )
    g = p.add_argument_group("visitors' corrections")
    g.add_argument(
        "--feedback-db",
        type=Path,
        default=None,
        help=f"the SQLite file corrections are kept in (default $HEADLINE_LENS_FEEDBACK_DB, else {default_db_path()})",
    )
    g.add_argument(
        "--feedback-max-mb",
        type=float,
        default=DEFAULT_MAX_MB,
        help="refuse corrections once the database is this large",
    )
    g.add_argument("--no-feedback", action="store_true", help="keep no corrections (no button, /flag refuses)")
    g.add_argument(
        "--review",
        action="store_true",
        help="show a tab reviewing the corrections (refused without --auth anywhere but on 127.0.0.1)",
    )
    g = p.add_argument_group("training in the browser")
    g.add_argument(
        "--allow-training",
        action="store_true",
        help="show a Train tab: visitors upload a labelled file and train a model on it, one at a "
        "time, into --models (refused without --auth anywhere but on 127.0.0.1)",
    )
    g.add_argument("--max-train-minutes", type=float, default=30, help="stop a training after this long")
    p.add_argument(
        "--mcp",
        action="store_true",
        # Gradio's own switch, as Spaces and Docker set it; the app reads it here to check it with --auth
        default=os.environ.get("GRADIO_MCP_SERVER", "").lower() == "true",
        help="also serve the API's reading endpoints as MCP tools for AI assistants, at /gradio_api/mcp/ "
        "(default: $GRADIO_MCP_SERVER=true); refused with --auth, which Gradio does not ask of them",
    )
    return p.parse_args(argv)


def open_training(args, registry, data_dir):
    """The training queue as the arguments ask (None: no Train tab)."""
    if not args.allow_training:
        return None
    device = "cpu" if args.device == "auto" else args.device  # the page's models keep the GPU to themselves
    queue = TrainingQueue(
        args.models,
        registry.add_folder,
        args.max_train_minutes * 60,
        command=functools.partial(training_command, device=device, data_dir=data_dir),
        on_removed=registry.remove_folder,
    )
    atexit.register(queue.close)  # a training in progress goes with the app, and leaves nothing
    print(f"training allowed: trained models go to {args.models}/", file=sys.stderr)
    return queue


def open_corrections(args):
    """(Corrections or None, review shown): the feedback store as the arguments ask."""
    if args.no_feedback:
        return None, False
    review = args.review
    path = args.feedback_db or default_db_path()
    try:
        store = FeedbackStore(path, args.feedback_max_mb)
    except (OSError, sqlite3.Error, ValueError) as e:
        sys.exit(
            f"error: the corrections database {path} cannot be opened ({e}); "
            f"give another with --feedback-db PATH, or run with --no-feedback"
        )
    print(f"corrections are kept in {path}", file=sys.stderr)
    return Corrections(store), review


def main(argv=None):
    args = parse_args(argv)
    try:
        host, port = listen_address(args.host, args.port)
    except ValueError as e:  # a port variable set to something that is no port
        sys.exit(f"error: {e}")
    configure_for_serving()  # one torch thread per Gradio worker: see cls_core/app/serving.py
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not (sep and user and password):
            sys.exit("error: --auth takes USER:PASS")
        auth = (user, password)
    elif args.share:
        print(
            "warning: --share without --auth: anyone with the public link can use this app "
            "(add --auth USER:PASS or set APP_AUTH)",
            file=sys.stderr,
        )
    # What visitors may run or read beyond predictions needs a login wherever others can reach
    # the app: a --share link, or any address but this machine's own (the Dockerfile's 0.0.0.0).
    where = "a --share link" if args.share else None if is_loopback(host) else f"{host} (not this machine alone)"
    for flag, given, what in (
        ("--allow-training", args.allow_training, "run trainings on this machine"),
        ("--review", args.review, "read every visitor's corrections"),
    ):
        if given and where and not auth:  # before minutes of loading
            sys.exit(
                f"error: {flag} on {where} needs --auth USER:PASS (or APP_AUTH): anyone who reaches the "
                f"app could {what}"
            )
    # Gradio 6.31 mounts its MCP server beside the routes that ask for the login, not behind them:
    # it would list the tools to anyone (and its own calls to the app, unable to log in, would fail).
    if args.mcp and auth:
        sys.exit(
            "error: --mcp (or GRADIO_MCP_SERVER=true) cannot go with --auth (or APP_AUTH): Gradio serves "
            "its MCP endpoint, /gradio_api/mcp/, without the login; serve MCP without --auth, or behind "
            "a proxy that asks for one"
        )
    if args.max_train_minutes <= 0:
        sys.exit("error: --max-train-minutes takes a positive number")
    if args.allow_training:  # trained models need a folder to go to
        args.models = args.models or Path("models")
        args.models.mkdir(parents=True, exist_ok=True)
    if args.models is not None and not args.models.is_dir():
        sys.exit(f"error: --models {args.models}: no such folder")
    core = Demo.load(args.checkpoints, resolve_data_dir(args.data_dir), args.device, args.precision, args.models)
    for problem in core.registry.problem_lines():
        print("warning:", problem, file=sys.stderr)
    if not core.models:
        sys.exit("error: no model could be loaded; see the warnings above")
    core.corrections, core.review = open_corrections(args)
    core.training = open_training(args, core.registry, core.data_dir)
    app = build_page(core, mcp=args.mcp)
    app.queue(default_concurrency_limit=WORKERS, max_size=QUEUE_SIZE)
    # Gradio refuses larger uploads before any handler sees them; with training allowed the
    # limit is a training file's, and batch prediction keeps its own 2 MB check (batch.read_lines).
    launch = dict(
        server_name=host,
        server_port=port,
        auth=auth,
        show_error=True,
        max_file_size=MAX_TRAINING_FILE_BYTES if core.training else MAX_UPLOAD_BYTES,
        css=CSS,
        js=PAGE_JS,
        footer_links=[],
        mcp_server=args.mcp,  # as decided and checked above (None: Gradio would read GRADIO_MCP_SERVER itself)
        # ssr_mode is left to Gradio (GRADIO_SSR_MODE, or the host's default: Spaces may render on
        # the server): the page works both ways, and tests/test_ssr.py drives it with SSR on.
    )
    try:
        app.launch(share=args.share, **launch)
    except Exception as e:  # no route to the share server: keep serving locally
        if not args.share:
            raise
        print(f"warning: the public link could not be made ({e}); serving locally only", file=sys.stderr)
        app.launch(share=False, **launch)


if __name__ == "__main__":
    main()
