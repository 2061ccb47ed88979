"""Visitors in headless Chromium, on the app as a fresh clone serves it (no dataset): in
English and in Chinese, on a desktop and on a phone; the map and the agreement on the app
serving the small split. Screenshots go to test-output/."""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import CHROMIUM, OUTPUT, require_chromium  # noqa: F401 - shared with the other browser tests
from page_strings import foreign_on, literal_parts

from cls_core.app.i18n import LANGUAGES, language_for, template, text

HEADLINE = "#headline textarea, #headline input"
INSIDE_HEADLINE = "#inside-headline textarea, #inside-headline input"
WAIT_MS = 120_000  # for any ordinary state (the map and the agreement take longer and say so)


def has_value(page, selector, value):
    """Wait until the box at selector holds value (a str, or a pattern it must contain). A
    locator waits for the box to be drawn too; a wait_for_function reading
    document.querySelector(selector).value throws while it is not, and fails at once."""
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_have_value(value, timeout=WAIT_MS)


def open_page(browser, url, locale="en-US", width=1300, height=1000, shown=None):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    # the page has read the visitor's language (on load) before a visitor asks anything
    has_value(page, "#language input", shown or LANGUAGES[language_for(locale)])
    lang = next(code for code, name in LANGUAGES.items() if name == (shown or LANGUAGES[language_for(locale)]))
    page.locator("#language").get_by_text(text("language", lang), exact=True).wait_for()  # the views are drawn
    return page


@pytest.fixture(scope="module")
def en(browser, fresh_app_url):
    page = open_page(browser, fresh_app_url, "en-US")
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def en_small(browser, app_url):
    """An English visitor on the app serving the small split (500 test headlines). The map and
    the agreement are computed over the test split at first use: over a fresh clone's 10,000
    headlines, the slowest part of the suite; the page does the same with 500."""
    page = open_page(browser, app_url, "en-US")
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def zh(browser, fresh_app_url):
    page = open_page(browser, fresh_app_url, "zh-CN")
    yield page
    page.context.close()


def top_answers(page):
    """The top class of each visible answer panel, in order."""
    return [t.strip() for t in page.locator(".output-class").all_inner_texts()]


def ask(page, headline):
    page.locator(HEADLINE).fill(headline)
    page.locator(HEADLINE).press("Enter")


# --- English ------------------------------------------------------------------------------


def test_enter_predicts_and_each_answer_carries_its_verdict(en):
    ask(en, "国足3:0完胜泰国队 晋级世界杯预选赛")
    en.get_by_text("BiLSTM-attention · ✓ sure").wait_for()
    en.get_by_text("TextCNN · ✓ sure").wait_for()
    assert top_answers(en) == ["体育 sports", "体育 sports"]  # the top answer, not just somewhere in the top 5
    en.screenshot(path=OUTPUT / "en-predict.png", full_page=True)


def test_an_unsure_answer_looks_unsure_and_no_header_covers_an_answer(browser, fresh_app_url):
    """With four models the long headers wrapped over the big answer, and "unsure" was only in
    the small grey header while the answer stood in large type."""
    every = ",".join(["BiLSTM-attention", "TextCNN", "Linear (TF-IDF + SVM)", "Ensemble (average of the models)"])
    page = open_page(browser, f"{fresh_app_url}?tab=predict&model={quote(every)}&headline={quote('😀😀股市')}")
    try:
        page.locator(".answer-panel.unsure .output-class").nth(3).wait_for()
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.answer-panel')].filter(p => p.getClientRects().length).map(p => {
                const header = p.querySelector('[data-testid="block-label"]').getBoundingClientRect();
                const answer = p.querySelector('.output-class').getBoundingClientRect();
                return [header.bottom, answer.top];
            })"""
        )
        assert len(boxes) == 4 and all(header <= answer for header, answer in boxes), boxes
        page.screenshot(path=OUTPUT / "en-predict-four-unsure.png", full_page=True)
    finally:
        page.context.close()


def test_clicking_an_example_predicts_it(en):
    ask(en, "国足3:0完胜泰国队")
    en.get_by_text("TextCNN · ✓ sure").wait_for()
    en.get_by_text("沪指放量大涨2% 券商股集体涨停").click()
    en.wait_for_function(
        "() => [...document.querySelectorAll('.output-class')].every(e => e.innerText.trim() !== '体育 sports')"
    )
    assert en.locator(HEADLINE).input_value() == "沪指放量大涨2% 券商股集体涨停"
    assert top_answers(en) == ["股票 stocks", "股票 stocks"]


def test_a_random_headline_shows_its_truth_until_the_next_question(en):
    en.get_by_role("button", name="Random test headline").click()
    en.get_by_text("True label:").wait_for()
    assert en.locator(HEADLINE).input_value().strip()
    ask(en, "央行宣布下调存款准备金率")
    en.get_by_text("True label:").wait_for(state="detached")


def test_a_hint_is_a_hint_and_leaves_no_error_badge(en):
    ask(en, "国足3:0完胜泰国队")
    en.get_by_text("TextCNN · ✓ sure").wait_for()
    en.locator(HEADLINE).fill("   ")
    en.get_by_role("button", name="Predict", exact=True).click()
    en.get_by_text("Please type a headline first").first.wait_for()
    en.locator(".output-class").first.wait_for(state="hidden")  # no answer left from the last headline
    ask(en, "周杰伦新专辑首发")
    en.get_by_text("TextCNN · ").wait_for()
    assert en.get_by_text("Error", exact=True).count() == 0


def test_markup_is_shown_literally(en):
    # Full-width letters make the models read the text differently, so "Read as: …" shows it.
    en.evaluate("window.__xss = undefined")
    ask(en, "<img src=x onerror=window.__xss=1>股市ＡＢ大涨")
    en.get_by_text("Read as: <img src=x onerror=window.__xss=1>股市AB大涨").wait_for()
    assert en.locator("img[src='x']").count() == 0 and en.evaluate("window.__xss") is None


def test_look_inside_each_model(en):
    en.get_by_role("tab", name="Inside the model").click()
    en.get_by_role("button", name="Look inside").click()
    en.get_by_text("Hidden states, layer 2, forward").first.wait_for()
    en.get_by_text("the even share").first.wait_for()  # attention measured against 1/n, in words
    en.get_by_text("How each method credits").wait_for()
    assert en.get_by_label("BiLSTM layer").first.is_visible()
    en.screenshot(path=OUTPUT / "en-inside.png", full_page=True)
    en.get_by_role("radio", name="TextCNN").check()
    en.get_by_text("TextCNN reads").wait_for()
    en.get_by_text("filters won").first.wait_for()
    assert not en.get_by_text("BiLSTM direction").is_visible()  # no recurrent controls without a recurrent model
    en.get_by_role("radio", name="Linear (TF-IDF + SVM)").check()
    en.get_by_text("Linear (TF-IDF + SVM) reads").wait_for()
    en.get_by_text("tf-idf × weight").first.wait_for()
    assert en.get_by_text("filters won").count() == 0


def test_evaluate_shows_one_clickable_matrix(en):
    en.get_by_role("tab", name="Evaluate").click()
    en.get_by_role("button", name="Evaluate on the test split").click()
    en.get_by_text("on 10,000 test headlines").wait_for()
    evaluate = en.locator("div.tabitem").filter(visible=True)
    assert evaluate.locator(".js-plotly-plot .heatmaplayer").count() == 0  # the table is the matrix
    table = en.locator("div.block").filter(has_text="Confusion matrix: click a number").last
    table.locator("[role=gridcell]").nth(11 * 2 + 1).click()  # row 3 = stocks, column 1 = finance
    en.get_by_text("headlines: true 股票 stocks, predicted 财经 finance").wait_for()
    assert table.locator(".selection-button").filter(visible=True).count() == 0  # nothing covers the neighbours
    # every column of the English matrix within the page's width at 1300 px, the last one too
    assert table.locator("table").first.evaluate(
        "t => t.getBoundingClientRect().right <= t.closest('.table-wrap, .block').getBoundingClientRect().right + 1"
    )
    en.get_by_text("Accuracy by headline length").wait_for()  # the slices
    en.get_by_text("Accuracy by share of unknown").first.wait_for()
    en.screenshot(path=OUTPUT / "en-evaluate.png", full_page=True)


def test_evaluate_on_an_outlet_never_trained_on(en):
    en.get_by_role("tab", name="Evaluate").click()
    en.get_by_role("radio", name="An outlet never trained on (Toutiao 2018)").check()
    en.get_by_role("button", name="Evaluate on the test split").click()
    en.get_by_text("on 10,000 headlines of an outlet it never learned from").wait_for()
    table = en.locator("div.block").filter(has_text="Confusion matrix: click a number").last
    table.locator("[role=gridcell]").nth(11 * 4 + 9).click()  # row 4 = science, column 9 = game
    en.get_by_text("headlines: true 科技 science, predicted 游戏 game").wait_for()
    en.get_by_text("Accuracy by headline length").wait_for()
    en.screenshot(path=OUTPUT / "en-evaluate-outlet.png", full_page=True)
    # back to THUCNews: the views compare models on one test set again
    en.get_by_role("radio", name="The model's own test split (THUCNews test)").check()
    en.get_by_role("button", name="Evaluate on the test split").click()
    en.get_by_text("on 10,000 test headlines").wait_for()


def test_overview_shows_every_model_and_the_ensemble(en):
    en.get_by_role("tab", name="Overview").click()
    overview = en.locator("div.tabitem").filter(visible=True)
    overview.get_by_text("Training curves: TextCNN").wait_for()
    # in the table and the chart (Gradio's table also keeps hidden copies of its cells)
    overview.get_by_text("Ensemble (average of the models)").filter(visible=True).first.wait_for()
    overview.get_by_text("has no training curve").wait_for()
    en.screenshot(path=OUTPUT / "en-overview.png", full_page=True)


def test_a_link_opens_the_view_it_names(browser, fresh_app_url):
    page = open_page(browser, fresh_app_url + "?tab=inside&model=TextCNN&headline=" + quote("国足3:0完胜泰国队"))
    try:
        page.get_by_text("TextCNN reads 10 characters").wait_for()
        page.get_by_role("button", name="Copy a link to this view").click()
        has_value(page, "#link textarea, #link input", re.compile(r"\?"))
        link = page.locator("#link textarea, #link input").input_value()
        assert link.startswith(fresh_app_url) and "tab=inside" in link and "model=TextCNN" in link
    finally:
        page.context.close()


def page_text(page):
    """What the page shows on every tab: each tab opened in turn, its text and its figures'."""
    shown = []
    for tab in page.get_by_role("tab").all():
        tab.click()
        page.wait_for_function("() => !document.querySelector('.pending, .eta-bar')")
        shown.append(
            page.evaluate("""() => document.body.innerText + "\\n" +
            [...document.querySelectorAll(".js-plotly-plot text")].filter((t) => t.getClientRects().length)
                .map((t) => t.textContent).join("\\n")""")
        )
    return "\n".join(shown)


def visit_every_view(page, lang):
    """Predict, look inside, evaluate and draw the map, as a visitor in lang would."""
    ask(page, "国足3:0完胜泰国队 晋级世界杯预选赛")
    page.locator(".output-class").first.wait_for()
    page.get_by_role("tab", name=text("tab_inside", lang)).click()
    page.get_by_role("button", name=text("inside_button", lang)).click()
    page.locator("div.tabitem .js-plotly-plot").first.wait_for()
    page.get_by_role("tab", name=text("tab_evaluate", lang)).click()
    page.get_by_role("button", name=text("eval_button", lang)).click()
    page.locator("#confusion").wait_for()
    page.get_by_role("tab", name=text("tab_map", lang)).click()
    page.get_by_role("button", name=text("map_button", lang)).click()
    page.locator("#map-plot .js-plotly-plot").wait_for()


def switch_language(page, lang):
    page.locator("#language input").click()
    page.get_by_role("option", name=LANGUAGES[lang]).click()
    page.get_by_role("tab", name=text("tab_inside", lang), exact=True).wait_for()
    page.locator("#language").get_by_text(text("language", lang), exact=True).wait_for()  # the views redrawn


SWITCHES = [("en-US", "zh-CN"), ("zh-CN", "en"), ("en-US", "zh-TW"), ("zh-CN", "zh-HK")]


@pytest.mark.parametrize("locale,lang", SWITCHES)
def test_a_language_switch_leaves_no_word_of_the_other_languages(browser, fresh_app_url, locale, lang):
    page = open_page(browser, fresh_app_url, locale)
    try:
        assert page.evaluate("document.documentElement.lang") == language_for(locale)  # the page's, not the browser's
        visit_every_view(page, language_for(locale))
        page.get_by_role("button", name=text("copy_link", language_for(locale))).click()
        has_value(page, "#link textarea, #link input", re.compile(f"lang={language_for(locale)}"))
        switch_language(page, lang)
        page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")
        has_value(page, "#link textarea, #link input", "")  # no link left in the old language
        shown = page_text(page)
        assert not foreign_on(shown, lang), foreign_on(shown, lang)
        # the views were redrawn in the new language, not emptied
        map_part = max(literal_parts(template("map_summary", lang), lang), key=len)
        for redrawn in (text("sure", lang), text("cell_hint", lang), map_part):
            assert redrawn in shown, redrawn
        page.screenshot(path=OUTPUT / f"switch-{locale}-to-{lang}.png", full_page=True)
    finally:
        page.context.close()


@pytest.mark.parametrize("locale,lang", [("zh-CN", "en"), ("en-US", "zh-TW")])
def test_a_link_in_another_language_renders_wholly_in_it(browser, fresh_app_url, locale, lang):
    link = f"{fresh_app_url}?tab=inside&model=TextCNN&headline={quote('国足3:0完胜泰国队')}&lang={lang}"
    page = open_page(browser, link, locale, shown=LANGUAGES[lang])
    try:
        page.get_by_role("tab", name=text("tab_inside", lang), selected=True).wait_for()
        page.locator("div.tabitem .js-plotly-plot").first.wait_for()
        shown = page_text(page)
        assert not foreign_on(shown, lang), foreign_on(shown, lang)
    finally:
        page.context.close()


def test_a_hint_is_inline_in_the_pages_language_and_goes_with_the_next_answer(browser, fresh_app_url):
    zh = open_page(browser, fresh_app_url, "zh-CN")
    try:
        zh.locator(HEADLINE).fill("   ")
        zh.get_by_role("button", name="预测", exact=True).click()
        zh.get_by_text("请先输入一条标题").wait_for()
        assert zh.locator(".toast-wrap .toast-body, [data-testid=toast-body]").count() == 0  # no toast, no title
        ask(zh, "周杰伦新专辑首发")
        zh.locator(".output-class").first.wait_for()
        zh.get_by_text("请先输入一条标题").wait_for(state="hidden")
    finally:
        zh.context.close()


def test_a_long_headline_is_kept_in_the_box_and_cut_with_a_notice(en):
    en.get_by_role("tab", name="Predict").click()
    long = "国足3:0完胜泰国队" * 30
    ask(en, long)
    en.get_by_text("only the first 200 were read").wait_for()
    assert en.locator(HEADLINE).input_value() == long  # the box itself cut nothing


def test_views_show_no_empty_frames_before_they_have_something_to_draw(browser, fresh_app_url):
    page = open_page(browser, fresh_app_url, "en-US")
    try:
        for tab in ("Inside the model", "Map", "Evaluate"):
            page.get_by_role("tab", name=tab).click()
            panel = page.locator("div.tabitem").filter(visible=True)
            assert panel.locator("[data-testid=plot], .js-plotly-plot").filter(visible=True).count() == 0, tab
    finally:
        page.context.close()


def test_switching_the_maps_model_clears_the_old_map_at_once(en):
    en.get_by_role("tab", name="Map").click()
    en.get_by_role("radio", name="BiLSTM-attention").check()
    en.get_by_role("button", name="Draw the map").click()
    en.locator("#map-plot .js-plotly-plot").wait_for()
    summary = en.locator("div.tabitem").filter(visible=True).get_by_text("test headlines (projected")
    assert "BiLSTM-attention" in summary.inner_text()
    en.get_by_role("radio", name="TextCNN").check()
    # at once: no BiLSTM map under the TextCNN choice; then the TextCNN map
    en.wait_for_function("() => !document.querySelector('#map-plot .js-plotly-plot')")
    summary.wait_for()
    assert "TextCNN" in summary.inner_text()


def test_a_dark_system_theme_still_gets_the_light_page_the_figures_are_drawn_for(browser, fresh_app_url):
    context = browser.new_context(locale="en-US", color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(fresh_app_url)
        has_value(page, "#language input", "English")
        assert page.evaluate("document.body.classList.contains('dark')") is False
    finally:
        context.close()


# --- looking deeper -----------------------------------------------------------------------


def test_look_deeper_and_a_units_contexts(en):
    en.get_by_role("tab", name="Inside the model").click()
    en.get_by_role("radio", name="BiLSTM-attention").check()
    en.locator(INSIDE_HEADLINE).fill("国足3:0完胜泰国队 晋级世界杯预选赛")
    en.get_by_role("button", name="Look inside").click()
    en.get_by_text("Fewest characters that keep the answer").wait_for()
    en.get_by_text("Do the methods agree on this headline?").wait_for()
    en.get_by_text("integrated gradients vs attention").wait_for()
    en.get_by_text("Hidden units of the BiLSTM").click()
    en.get_by_role("button", name="List the units").click()
    en.get_by_text("units ranked; the most topic-specific one is shown").wait_for()
    contexts = en.locator("div.block").filter(has_text="Where the unit fires most").last
    cell = contexts.locator("[role=gridcell]").nth(1)
    cell.wait_for()
    en.screenshot(path=OUTPUT / "en-inside-deeper.png", full_page=True)
    context = cell.inner_text().strip().replace("【", "").replace("】", "")
    cell.click()  # a context opens its whole headline in Inside
    # the context is the headline as the model read it (normalised: "：" reads ":"), the box holds it as written
    from playwright.sync_api import expect

    from cls_core.data.normalize import normalize_headline

    expect(en.locator(INSIDE_HEADLINE)).not_to_have_value("国足3:0完胜泰国队 晋级世界杯预选赛", timeout=WAIT_MS)
    assert context.strip("…") in normalize_headline(en.locator(INSIDE_HEADLINE).input_value())


def test_a_click_on_the_map_opens_the_headline_inside(en_small, small_data_dir):
    en = en_small
    en.get_by_role("tab", name="Map").click()
    en.get_by_role("button", name="Draw the map").click()
    en.get_by_text("test headlines (projected").wait_for(timeout=600_000)  # t-SNE of the test split, once
    en.locator("#map-plot .js-plotly-plot").scroll_into_view_if_needed()
    x, y = en.evaluate("""() => {
        const graph = document.querySelector('#map-plot .js-plotly-plot'), box = graph.getBoundingClientRect();
        const trace = graph._fullData[0], xa = graph._fullLayout.xaxis, ya = graph._fullLayout.yaxis;
        return [box.left + xa._offset + xa.l2p(trace.x[0]), box.top + ya._offset + ya.l2p(trace.y[0])]; }""")
    en.screenshot(path=OUTPUT / "en-map.png", full_page=True)
    en.mouse.click(x, y)
    en.get_by_role("tab", name="Inside the model", selected=True).wait_for()
    number = int(en.locator("#map-number input").input_value())
    test = (small_data_dir / "test.txt").read_text(encoding="utf-8")
    headline = test.splitlines()[number].split("\t")[0]
    has_value(en, INSIDE_HEADLINE, headline)
    en.get_by_text("reads").first.wait_for()


def test_does_attention_explain_the_prediction(en_small):
    en = en_small
    en.get_by_role("tab", name="Evaluate").click()
    en.get_by_text("Does attention explain the prediction?").first.click()
    en.get_by_role("button", name="Measure the agreement").click()
    # integrated gradients over the sampled test headlines per network, once per checkpoint
    table = en.locator("div.block").filter(has_text="mean ρ").last
    table.get_by_text("integrated gradients vs attention").wait_for(timeout=1_200_000)
    table.get_by_text("n-gram scores vs occlusion").wait_for()
    en.screenshot(path=OUTPUT / "en-agreement.png", full_page=True)


def test_the_experiments_tab(en):
    en.get_by_role("tab", name="Experiments").click()
    en.get_by_text("Vanilla RNN vs GRU vs LSTM").wait_for()
    en.get_by_text("Vanishing gradients?").first.wait_for()
    en.screenshot(path=OUTPUT / "en-experiments.png", full_page=True)


# --- 简体中文, 繁體中文 ----------------------------------------------------------------------------


def test_chinese_visitors_see_a_chinese_page(zh):
    for tab in ("预测", "模型内部", "地图", "评估", "实验", "概览"):
        zh.get_by_role("tab", name=tab).wait_for()
    zh.get_by_role("button", name="随机测试标题").wait_for()
    ask(zh, "国足3:0完胜泰国队 晋级世界杯预选赛")
    zh.get_by_text("TextCNN · ✓ 有把握").wait_for()
    assert top_answers(zh) == ["体育", "体育"]
    zh.screenshot(path=OUTPUT / "zh-predict.png", full_page=True)
    zh.get_by_role("tab", name="模型内部").click()
    zh.get_by_role("button", name="查看内部").click()
    zh.get_by_text("BiLSTM-attention 读了").wait_for()
    zh.get_by_text("逐字阅读：读到每个字时的答案").wait_for()  # the plots are drawn, in Chinese
    zh.get_by_text("各方法对每个字的归因").wait_for()
    zh.get_by_text("保留答案所需的最少的字").wait_for()
    assert zh.get_by_text("**", exact=False).count() == 0  # every bold mark closed
    zh.screenshot(path=OUTPUT / "zh-inside.png", full_page=True)
    zh.get_by_role("tab", name="评估").click()
    zh.get_by_role("button", name="在测试集上评估").click()
    zh.get_by_text("条测试标题上：准确率").wait_for()
    zh.screenshot(path=OUTPUT / "zh-evaluate.png", full_page=True)
    zh.get_by_role("tab", name="概览").click()
    zh.get_by_text("训练曲线：TextCNN").wait_for()
    zh.screenshot(path=OUTPUT / "zh-overview.png", full_page=True)


def test_a_visitor_says_an_answer_is_wrong_and_is_thanked_in_their_language(zh):
    zh.get_by_role("tab", name="预测").click()
    zh.get_by_text("只有当你点击“这个答案错了”时，我们才会保存").wait_for()  # the notice says what is kept
    ask(zh, "国足3:0完胜泰国队 晋级世界杯预选赛")
    zh.get_by_text("TextCNN · ✓ 有把握").wait_for()
    zh.locator("#predict-correct-topic input").click()
    zh.get_by_role("option", name="财经", exact=True).click()
    zh.locator("#predict-correct-button").click()
    zh.locator("#predict-correct-message").get_by_text("BiLSTM-attention 说是体育，你说是财经。谢谢！").wait_for()
    assert "已保存为第" in zh.locator("#predict-correct-message").inner_text()
    zh.screenshot(path=OUTPUT / "zh-correction.png", full_page=True)


# Words in which Taiwan's and Hong Kong's phrasing differ (OpenCC s2twp and s2hk): the link
# button, 檢視/連結 against 視圖/鏈接 (static text: Gradio's i18n, in the browser), and the
# ensemble, 整合 against 集成 (the model picker: reworded by the server).
TRADITIONAL = {"zh-TW": ("複製此檢視的連結", "整合（各模型平均）"), "zh-HK": ("複製此視圖的鏈接", "集成（各模型平均）")}


@pytest.mark.parametrize("locale", TRADITIONAL)
def test_traditional_chinese_visitors(browser, fresh_app_url, locale):
    page = open_page(browser, fresh_app_url, locale)
    try:
        for tab in ("預測", "模型內部", "評估", "概覽"):
            page.get_by_role("tab", name=tab, exact=True).wait_for()
        link_button, ensemble = TRADITIONAL[locale]
        page.get_by_role("button", name=link_button, exact=True).wait_for()
        page.get_by_text(ensemble, exact=True).filter(visible=True).first.wait_for()
        for other in TRADITIONAL["zh-HK" if locale == "zh-TW" else "zh-TW"]:
            assert page.get_by_text(other).count() == 0, other
    finally:
        page.context.close()


# --- a phone ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_phone_sees_the_whole_page(browser, fresh_app_url, locale):
    page = open_page(browser, fresh_app_url, locale, width=390, height=844)
    lang = language_for(locale)
    try:
        ask(page, "国足3:0完胜泰国队")
        page.locator(".output-class").first.wait_for()
        if locale == "zh-CN":  # the pickers are reworded once the page knows the visitor's language
            page.get_by_text("线性模型（TF-IDF + SVM）").first.wait_for()
        assert page.locator("#headline").bounding_box()["width"] > 300  # not squeezed beside the models
        title = page.locator("#title h1")  # "headline-lens" on one line, whole, beside the language
        assert title.bounding_box()["height"] < 1.6 * title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert title.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        language = page.locator("#language").bounding_box()
        assert (
            title.bounding_box()["x"] + title.evaluate("e => e.scrollWidth") <= language["x"]
            or title.bounding_box()["y"] + title.bounding_box()["height"] <= language["y"]
        )  # beside it, or above
        page.screenshot(path=OUTPUT / f"phone-{locale}.png", full_page=True)
        page.get_by_role("tab", name=text("tab_inside", lang)).click()
        page.get_by_role("button", name=text("inside_button", lang)).click()
        page.locator("div.tabitem .js-plotly-plot").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 392  # nothing wider than the screen
        # every chart title within its chart (and the screen), none under plotly's toolbar
        cut = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot .gtitle')]
            .filter((t) => t.getClientRects().length).filter((t) => {
                const box = t.getBoundingClientRect(), plot = t.closest('.js-plotly-plot').getBoundingClientRect();
                return box.left < plot.left - 1 || box.right > plot.right + 1; }).map((t) => t.textContent)""")
        assert not cut, cut
        page.screenshot(path=OUTPUT / f"phone-{locale}-inside.png", full_page=True)
    finally:
        page.context.close()


def test_inside_reads_a_traditional_headline_one_way_everywhere(browser, fresh_app_url):
    link = f"{fresh_app_url}?tab=inside&model=TextCNN&headline={quote('台積電營收創新高 恆指漲')}&lang=zh-TW"
    page = open_page(browser, link, "zh-TW")
    try:
        page.get_by_text("模型讀作").first.wait_for()  # as on Predict: what the model read
        page.locator("div.tabitem .js-plotly-plot").first.wait_for()
        drawn = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot text')]
            .filter((t) => t.getClientRects().length).map((t) => t.textContent).join('')""")
        assert "積" in drawn and "积" not in drawn  # every chart shows the characters as typed
        page.screenshot(path=OUTPUT / "zh-TW-inside-traditional.png", full_page=True)
    finally:
        page.context.close()


def test_the_report_opens_offline_with_every_figure_drawn(browser):
    """The report to hand out (python -m cls_core.report), opened from a file with the network
    cut off, in English and Chinese: every figure drawn, nothing fetched, no console error.
    Screenshots of its sections go to test-output/report-LANG-SECTION.png."""
    from cls_core.app.report.page import write_report
    from cls_core.app.report.record import Records

    for lang in ("en", "zh-CN"):
        path = OUTPUT / f"report-{lang}.html"
        write_report(Records.load(), lang, path)
        context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900}, locale=lang)
        page = context.new_page()
        errors, fetched = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(path.resolve().as_uri())
        figures = page.locator(".plotly-graph-div").count()
        assert figures >= 15
        page.wait_for_function(
            "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= n", arg=figures, timeout=WAIT_MS
        )
        undrawn = page.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(d => !d.querySelector('.main-svg')).map(d => d.id)"
        )
        assert not undrawn
        for section in ("what", "classes", "calibration", "robustness", "examples", "limits"):
            page.locator(f"#{section}").scroll_into_view_if_needed()
            page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
            page.screenshot(path=OUTPUT / f"report-{lang}-{section}.png")
        context.close()
        assert not errors, (lang, errors)
        assert not fetched, (lang, fetched)


# --- training in the browser (app.py --allow-training) ---------------------------------------


@pytest.fixture(scope="module")
def training_app(checkpoint_dir, tmp_path_factory):
    """(url, models folder) of `python app.py --allow-training` as on a fresh clone."""
    from conftest import start_app

    folder = tmp_path_factory.mktemp("training-app")
    process, url = start_app(
        folder / "app.log",
        "--data-dir",
        str(folder / "no-dataset"),
        "--checkpoints",
        str(checkpoint_dir),
        "--allow-training",
        "--models",
        str(folder / "models"),
        env={"CLS_DATA_DIR": ""},
    )
    yield url, folder / "models"
    process.terminate()
    process.wait(timeout=30)


def upload_to_train(page, file):
    """Upload file in the Train tab, after clearing the file shown there, if any."""
    clear = page.locator("#train-file").get_by_role("button", name="Clear")
    if clear.count():
        clear.click()
    page.locator("#train-file input[type=file]").set_input_files(str(file))


def start_training(page, file, model, epochs, name):
    upload_to_train(page, file)
    page.get_by_text("✓ 400 lines, 4 labels: ready to train.").wait_for()
    page.locator("#train-model input").click()
    page.get_by_role("option", name=model, exact=True).click()
    page.locator("#train-epochs input[type=number]").fill(str(epochs))
    page.locator("#train-epochs input[type=number]").press("Enter")
    page.locator("#train-name input").fill(name)
    page.get_by_role("button", name="Train", exact=True).click()


def test_a_visitor_trains_a_model_cancels_a_run_and_predicts_with_the_model(browser, training_app, tmp_path):
    from owndata import write_labelled_set

    url, models = training_app
    page = open_page(browser, url + "?tab=train", "en-US")
    try:
        # every problem of a bad file, before anything runs
        bad = tmp_path / "bad.tsv"
        bad.write_text("北京明日暴雨预警\t天气\n一行没有标签\n", encoding="utf-8")
        upload_to_train(page, bad)
        # the line without a label, and the labels counted over the rest: 1 label, 天气 with 1 line
        page.get_by_text("✗ Problems found: 3. Nothing can be trained on this file").wait_for()
        has_value(
            page,
            "#train-problems textarea",
            re.compile(re.escape("bad.tsv:2: expected 2 columns (text<TAB>label), found 1")),
        )
        page.screenshot(path=OUTPUT / "en-train-problems.png", full_page=True)

        # a long run, cancelled while it trains: nothing is left behind
        mine = write_labelled_set(tmp_path / "mine.tsv")
        start_training(page, mine, "BiLSTM-attention", 50, "long-run")
        page.locator("#train-status").get_by_text("is training").wait_for()
        page.get_by_role("button", name="Cancel", exact=True).click()
        page.get_by_text("The training of long-run was cancelled; nothing was kept.").wait_for()
        assert not (models / "long-run").exists()
        assert not [p for p in (models / ".staging").rglob("*") if p.is_file()]  # the upload went too

        # a tiny model, trained to the end, opened in Predict
        start_training(page, write_labelled_set(tmp_path / "mine.tsv"), "TextCNN", 1, "tiny")
        page.locator("#train-status").get_by_text("is trained").wait_for(timeout=300_000)
        page.locator("#train-curves .js-plotly-plot").wait_for()  # its loss and dev accuracy
        with page.expect_download() as download:
            page.get_by_role("button", name="⬇ Download its checkpoint").click()
        assert download.value.suggested_filename == "tiny-textcnn.pt"
        assert Path(download.value.path()).read_bytes() == (models / "tiny" / "textcnn.pt").read_bytes()
        page.screenshot(path=OUTPUT / "en-train-done.png", full_page=True)
        page.locator("#train-open").click()
        page.get_by_role("tab", name="Predict", selected=True).wait_for()
        ask(page, "北京明日暴雨预警 气温骤降")
        page.get_by_text("tiny/textcnn · ").wait_for()
        assert top_answers(page)[0] in {"天气", "美食", "旅游", "健康"}
        page.screenshot(path=OUTPUT / "en-train-predict.png", full_page=True)

        # a switch of language words the Train tab anew, its training's outcome too
        page.get_by_role("tab", name="Train").click()
        switch_language(page, "zh-CN")
        page.locator("#train-status").get_by_text("训练完成").wait_for()
        page.locator("#train-curves").get_by_text("训练曲线：tiny").wait_for()
        shown = page_text(page)
        assert not foreign_on(shown, "zh-CN"), foreign_on(shown, "zh-CN")

        # and deleted from the page, once the visitor has confirmed it
        page.get_by_role("tab", name="训练").click()
        page.get_by_text(text("train_who", "zh-CN")).wait_for()
        page.locator("#train-delete").click()
        page.locator("#train-confirm").get_by_text("tiny").wait_for()
        assert (models / "tiny").exists()  # asking deletes nothing
        page.locator("#train-delete-yes").click()
        page.locator("#train-delete-yes").wait_for(state="hidden")
        assert not (models / "tiny").exists()
    finally:
        page.context.close()
