"""The page as Hugging Face Spaces may serve it: with Gradio's server-side rendering
(GRADIO_SSR_MODE=true, a Node server in front of the app). app.py leaves ssr_mode to Gradio
(the variable, or the host's default), so the page must work both ways: the other browser
tests run without it, these with it, on a fresh clone's app."""

import pytest
from conftest import start_app
from test_browser import OUTPUT, ask, open_page, switch_language, top_answers

from cls_core.app.i18n import text


@pytest.fixture(scope="module")
def ssr_app(checkpoint_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ssr-app")
    process, url = start_app(
        folder / "app.log",
        "--data-dir",
        str(folder / "no-dataset"),
        "--checkpoints",
        str(checkpoint_dir),
        env={"CLS_DATA_DIR": "", "GRADIO_SSR_MODE": "true"},
    )
    yield url, folder / "app.log"
    process.terminate()
    process.wait(timeout=30)


def test_a_visitor_predicts_switches_language_and_looks_inside_on_the_server_rendered_page(browser, ssr_app):
    url, log = ssr_app
    assert "with SSR" in log.read_text(), "the app did not start with server-side rendering"
    page = open_page(browser, url, "zh-CN")
    try:
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        ask(page, "国足3:0完胜泰国队 晋级世界杯预选赛下一阶段")
        page.get_by_text("TextCNN · ").first.wait_for()
        assert top_answers(page)[0] == "体育"
        switch_language(page, "en")
        page.wait_for_function("() => document.documentElement.lang === 'en'")
        page.get_by_role("tab", name=text("tab_inside", "en"), exact=True).click()
        page.get_by_role("button", name=text("inside_button", "en"), exact=True).click()
        page.get_by_text("How each method credits").wait_for()  # the look deeper came too
        page.screenshot(path=OUTPUT / "ssr-en-inside.png", full_page=True)
    finally:
        page.context.close()
