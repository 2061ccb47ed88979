"""A visitor in headless Chromium: predict, open every tab, evaluate and see the matrix."""
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("TEST_OUTPUT", Path(__file__).resolve().parents[1] / "test-output"))


@pytest.fixture(scope="module")
def page(app_url):
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(app_url)
        page.wait_for_selector("text=headline-lens")
        yield page
        browser.close()


def test_predict_a_typed_headline(page):
    page.get_by_label("Headline (up to 200 characters)").fill("国足3:0完胜泰国队 晋级世界杯预选赛")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_text("体育 sports").first.wait_for()
    page.get_by_text("TextCNN ·").wait_for()
    page.screenshot(path=OUTPUT / "predict.png", full_page=True)


def test_random_test_headline_shows_its_true_label(page):
    page.get_by_role("button", name="Random test headline").click()
    page.get_by_text("True label:").wait_for()
    assert page.get_by_label("Headline (up to 200 characters)").input_value().strip()


def test_markup_is_shown_literally(page):
    page.get_by_label("Headline (up to 200 characters)").fill("<img src=x onerror=alert(1)>股市大涨")
    page.get_by_role("button", name="Predict", exact=True).click()
    page.get_by_text("BiLSTM-attention ·").wait_for()
    assert page.locator("img[src='x']").count() == 0


def test_look_inside(page):
    page.get_by_role("tab", name="Inside the model").click()
    page.get_by_role("button", name="Look inside").click()
    page.get_by_text("Hidden states, layer 2, forward").wait_for()
    page.get_by_text("Reading the headline").wait_for()
    page.screenshot(path=OUTPUT / "inside.png", full_page=True)


def test_evaluate_shows_the_confusion_matrix(page):
    page.get_by_role("tab", name="Evaluate").click()
    page.get_by_role("button", name="Evaluate on the test split").click()
    page.get_by_text("on 500 test headlines").wait_for()
    page.get_by_text("Confusion matrix").first.wait_for()
    assert page.locator(".js-plotly-plot .heatmaplayer").count() >= 1
    page.get_by_role("button", name="List headlines").click()
    page.get_by_text("headlines: true 财经 finance, predicted 股票 stocks").wait_for()
    # clicking a number in the confusion table lists that cell (row 3 = stocks, column 1 = finance)
    table = page.locator("div.block").filter(has_text="Confusion matrix (counts)").last
    table.locator("[role=gridcell]").nth(11 * 2 + 1).click()
    page.get_by_text("headlines: true 股票 stocks, predicted 财经 finance").wait_for()
    page.screenshot(path=OUTPUT / "evaluate.png", full_page=True)


def test_overview(page):
    page.get_by_role("tab", name="Overview").click()
    page.get_by_text("Training curves: TextCNN").wait_for()
    page.screenshot(path=OUTPUT / "overview.png", full_page=True)
