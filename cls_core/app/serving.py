"""Process settings for serving many small requests at once (the app).

Gradio runs handlers on several worker threads. Each prediction is one headline: too
little work to split over cores, but torch's intra-op pool would still fan every op out
to all cores from every worker at once, and the threads then wait on each other. One
torch thread per worker lets the workers themselves fill the cores.

Every call of Gradio's HTTP call API is a new session, which starts with a copy of the
config of every component at the page's root: the root holds only the visitor's state, the
language and the API endpoints, and the rest of the page is drawn for each visitor
(cls_core.app.tabs.page, gr.render), so that the copy stays small.

    python -m cls_core.bench --app     # p95 under load, the app against a no-op Gradio app

`CLS_TORCH_THREADS=N` overrides the thread count (to measure the difference).
"""

import os

import torch


def configure_for_serving(threads=None):
    """Call once at start-up, before any model runs. Returns the intra-op thread count set."""
    threads = int(threads or os.environ.get("CLS_TORCH_THREADS") or 1)
    torch.set_num_threads(threads)
    return threads
