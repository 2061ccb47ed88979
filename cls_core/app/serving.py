"""Process settings for serving many small requests at once (the app).

Gradio runs handlers on several worker threads. Each prediction is one headline: too
little work to split over cores, but torch's intra-op pool would still fan every op out
to all cores from every worker at once, and the threads then wait on each other. One
torch thread per worker lets the workers themselves fill the cores.

Gradio also gives every new session its own copy of every component's config, made when
the session starts (gradio/state_holder.py, SessionState). Each call of the HTTP call API
(POST /gradio_api/call/predict, as curl makes it) is a new session, so a /predict call paid
for a copy of the whole page (every component) on the server's event loop, which every
other request waits on: many times what the prediction itself costs. Here each entry of
that copy is made when something first needs it instead.

    python -m cls_core.bench --app     # p95 under load, the app against a no-op Gradio app

`CLS_TORCH_THREADS=N` overrides the thread count (to measure the difference).
"""

import os
import warnings

import torch


def configure_for_serving(threads=None):
    """Call once at start-up, before any model runs. Returns the intra-op thread count set."""
    threads = int(threads or os.environ.get("CLS_TORCH_THREADS") or 1)
    torch.set_num_threads(threads)
    session_configs_on_demand()
    return threads


class _WithoutComponents:
    """A Blocks as SessionState.__init__ reads it, with no components to copy."""

    def __init__(self, blocks):
        self._blocks = blocks
        self.blocks = {}

    def __getattr__(self, name):
        return getattr(self._blocks, name)


def session_configs_on_demand():
    """Start Gradio sessions with an empty config copy; fill an entry when first needed.
    Returns whether sessions now do so (False where Gradio's internals differ).

    Gradio itself already makes a missing entry when an event updates a component
    (SessionState._update_value_in_config), so events see the same configs as before. The
    one reader of the whole copy is a deep link (SessionState.components): it gets the
    missing entries made first, from the same blocks the eager copy would have read.
    """
    from gradio.state_holder import SessionState

    if getattr(SessionState, "configs_on_demand", False):
        return True
    if not (isinstance(vars(SessionState).get("components"), property)
            and hasattr(SessionState, "_update_value_in_config")):
        # Not the SessionState this was written against (Gradio 6.x): serve as Gradio does.
        warnings.warn("gradio's SessionState has changed; sessions copy every component's config")
        return False
    start_session = SessionState.__init__
    every_component = SessionState.components.fget

    def __init__(self, blocks):
        start_session(self, _WithoutComponents(blocks))
        self.page_block_ids = blocks.blocks.keys()

    def components(self):
        for key, block in self.blocks_config.blocks.items():
            if key in self.page_block_ids and key not in self.config_values:
                self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
        return every_component(self)

    SessionState.__init__ = __init__
    SessionState.components = property(components)
    SessionState.configs_on_demand = True
    return True
