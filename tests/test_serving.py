"""Serving settings: Gradio sessions make their component configs when first needed
(cls_core.app.serving), and nothing a session reads changes."""
import gradio as gr
from gradio.state_holder import SessionState

from cls_core.app.serving import session_configs_on_demand


def eager_configs(blocks):
    """What Gradio's own SessionState copies for every new session."""
    config = blocks.default_config
    return {k: config.config_for_block(k, [], v) for k, v in config.blocks.items() if k in blocks.blocks}


def test_sessions_make_component_configs_on_demand_with_the_same_content():
    with gr.Blocks() as page:
        box = gr.Textbox("first")
        gr.Number(3)
        gr.Markdown("text")
    expected = eager_configs(page)
    assert session_configs_on_demand() and session_configs_on_demand()  # applied once, idempotent

    session = SessionState(page)
    assert session.config_values == {}  # nothing copied when the session starts
    assert list(session.components) == [c for c in expected.values() if c]  # a deep link reads them all

    updated = SessionState(page)
    updated._update_value_in_config(box._id, "second")  # what an event's output does
    configs = {c["id"]: c for c in updated.components}
    assert configs[box._id]["props"]["value"] == "second"
    assert len(configs) == len([c for c in expected.values() if c])
