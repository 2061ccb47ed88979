"""Each view's first drawing time in headless Chromium, on the app as a fresh clone serves it.

    python -m cls_core.bench --first-draw [--json PATH]

`python app.py --device cpu` is started with an empty cache directory ($HEADLINE_LENS_CACHE a
new temporary folder), no $CLS_DATA_DIR and a --data-dir that does not exist, so it serves the
shipped test split (data/demo) and the shipped cache entries (checkpoints/shipped-cache), as on
a fresh clone. One English visitor (en-US, 1280x1000) then opens each view once, in the order a
visitor would: the time of a view runs from the click (a performance.now() taken in the page
just before it) to the moment its result is in the DOM: the text it must show and, for a
figure, a Plotly graph drawn with its title that was not on the page before the click. A
permalink is timed from the navigation start of its page. The page is polled every
POLL_MS, so each figure is late by at most that much.

Goal: GOAL_S for every view, EVALUATE_GOAL_S for a model evaluated on the test split.
playwright is imported inside the functions (a dev requirement: requirements-dev.txt), so
the package imports without it.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GOAL_S, EVALUATE_GOAL_S = 3.0, 5.0
WAIT_MS = 300_000  # a view that takes longer is reported as not drawn
POLL_MS = 50
PERMALINK_HEADLINE = "国足3:0完胜泰国队"
EVALUATED = ("TextCNN", "BiLSTM-attention", "Linear (TF-IDF + SVM)", "Ensemble (average of the models)")
MAPPED = ("BiLSTM-attention", "TextCNN")  # the first is the picker's default; the second is drawn on picking it

# Before a click: the graphs on the page now (a graph redrawn in place gets a new _fullLayout),
# the click's time.
MARK_JS = """() => {
  window.__benchOld = new Set([...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout));
  window.__benchDone = {};
  return performance.now();
}"""
# True once every condition holds; each one's first moment is kept in window.__benchDone.
# A condition: {text: in the visible tab, selector: a visible element in it, plot: that element
# is a Plotly graph drawn since the mark with a title (containing `title`)}.
DONE_JS = """(conds) => {
  const done = window.__benchDone || (window.__benchDone = {});
  const old = window.__benchOld || new Set();
  const tab = [...document.querySelectorAll('.tabitem')].find(t => t.getClientRects().length) || document.body;
  const drawn = (p, c) => {
    if (!p.getClientRects().length) return false;
    if (!c.plot) return true;
    const title = (p.querySelector('.gtitle') || {}).textContent || '';
    const fresh = c.fresh === false || !old.has(p._fullLayout);  // fresh: false counts a graph drawn before
    return p._fullLayout && fresh && title && (!c.title || title.includes(c.title));
  };
  let all = true;
  conds.forEach((c, i) => {
    if (done[i] !== undefined) return;
    let ok = !c.text || tab.textContent.includes(c.text);
    if (ok && c.selector) ok = [...tab.querySelectorAll(c.selector)].some(p => drawn(p, c));
    if (ok) done[i] = performance.now(); else all = false;
  });
  return all;
}"""

# On the permalink's page, from its start: long tasks of the main thread (what blocks drawing).
LONG_TASKS_JS = """window.__benchLong = [];
try {
  new PerformanceObserver(list => list.getEntries().forEach(e => window.__benchLong.push([e.startTime, e.duration])))
    .observe({type: 'longtask', buffered: true});
} catch (e) {}"""
# Where the permalink's time went, in ms from navigation start.
TIMELINE_JS = r"""() => {
  const nav = performance.getEntriesByType('navigation')[0], res = performance.getEntriesByType('resource');
  const span = (pattern) => res.filter(e => pattern.test(e.name)).map(e => [e.startTime, e.responseEnd]);
  const longest = (window.__benchLong || []).sort((a, b) => b[1] - a[1])[0] || null;
  return {html_ms: nav.responseEnd, dom_ready_ms: nav.domContentLoadedEventEnd,
          queue_data_ms: span(/gradio_api\/queue\/data/), plotly_chunk_ms: span(/PlotlyPlot-.*\.js/),
          plotly_chunk_bytes: res.filter(e => /PlotlyPlot-.*\.js/.test(e.name)).map(e => e.decodedBodySize)[0],
          longest_task_ms: longest};
}"""


def plot(title=None, selector=".js-plotly-plot", text=None, fresh=True):
    """A Plotly graph drawn (since the click, unless fresh=False: the page drew it on opening)."""
    return dict(selector=selector, plot=True, title=title, text=text, fresh=fresh)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fresh_app(workdir, checkpoints="checkpoints"):
    """`python app.py` as on a fresh clone; (process, url, seconds until it answered, log path)."""
    port, log_path = free_port(), Path(workdir) / "app.log"
    env = {k: v for k, v in os.environ.items() if k != "CLS_DATA_DIR"}
    env.update(HEADLINE_LENS_CACHE=str(Path(workdir) / "cache"), GRADIO_ANALYTICS_ENABLED="False")
    (Path(workdir) / "cache").mkdir()
    command = [
        sys.executable,
        "app.py",
        "--port",
        str(port),
        "--device",
        "cpu",
        "--checkpoints",
        str(checkpoints),
        "--data-dir",
        str(Path(workdir) / "no-dataset"),
    ]
    start = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url, time.perf_counter() - start, log_path
        except OSError:
            if process.poll() is not None or time.perf_counter() - start > 300:
                process.kill()
                raise RuntimeError("the app did not start:\n" + log_path.read_text()[-2000:])
            time.sleep(0.2)


class Visitor:
    """One page; each measure() appends {view, seconds, goal_s, ok} rows."""

    def __init__(self, page):
        self.page, self.rows = page, []

    def measure(self, action, *views, goal=GOAL_S):
        """Run action (a click); each view is (name, condition), all timed from the same click."""
        start = self.page.evaluate(MARK_JS)
        action()
        self.wait(start, views, goal)

    def wait(self, start, views, goal):
        from playwright.sync_api import TimeoutError as Timeout

        try:
            self.page.wait_for_function(DONE_JS, arg=[c for _, c in views], polling=POLL_MS, timeout=WAIT_MS)
        except Timeout:
            pass
        done = self.page.evaluate("window.__benchDone || {}")
        for i, (name, _) in enumerate(views):
            at = done.get(str(i))
            seconds = None if at is None else (at - start) / 1000
            self.rows.append(dict(view=name, seconds=seconds, goal_s=goal, ok=seconds is not None and seconds <= goal))
        print(f"  {self.rows[-1]['view']}: {self.rows[-1]['seconds']}", file=sys.stderr, flush=True)

    def click(self, role, name):
        return lambda: self.page.get_by_role(role, name=name).click()


def open_page(browser, url):
    """An English visitor's page, once the server has worded it: (page, what the language box shows)."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    box = page.locator("#language input")
    try:
        page.wait_for_function(
            "() => (document.querySelector('#language input') || {}).value === 'English'",
            polling=POLL_MS,
            timeout=20_000,
        )
    except Exception:  # the box may keep its built-in value while the page is worded in English
        page.get_by_role("tab", name="Inside the model").wait_for(timeout=60_000)
        print(
            f"warning: the language box shows {box.input_value()!r}, not 'English', though the page "
            "is worded in English",
            file=sys.stderr,
        )
    return page, box.input_value()


def visit_predict_and_inside(v):
    page = v.page
    page.locator("#headline textarea").fill("国足3:0完胜泰国队 晋级世界杯预选赛")
    v.measure(lambda: page.locator("#headline textarea").press("Enter"), ("Predict", dict(selector=".output-class")))
    page.get_by_role("tab", name="Inside the model").click()
    page.get_by_role("radio", name="BiLSTM-attention").check()
    v.measure(
        v.click("button", "Look inside"),
        ("Inside: first figure", plot()),
        ("Inside: whole look (methods chart)", plot("method")),
    )
    page.get_by_text("Hidden units of the BiLSTM").first.click()
    v.measure(v.click("button", "List the units"), ("Hidden units: list", dict(text="units ranked")))


def visit_map(v):
    page = v.page
    page.get_by_role("tab", name="Map").click()
    first, second = MAPPED
    v.measure(
        v.click("button", "Draw the map"),
        (
            f"Map: {first} (Draw the map)",
            plot(selector="#map-plot .js-plotly-plot", text=f"{first}: 10,000 test headlines"),
        ),
    )
    v.measure(
        lambda: page.get_by_role("radio", name=second).check(),
        (
            f"Map: {second} (picked: drawn at once)",
            plot(selector="#map-plot .js-plotly-plot", text=f"{second}: 10,000 test headlines"),
        ),
    )


def visit_evaluate(v):
    page = v.page
    page.get_by_role("tab", name="Evaluate").click()
    tab = page.locator("div.tabitem").filter(visible=True)
    for model in EVALUATED:
        tab.get_by_role("combobox").first.click()  # labelled "Model" (while the page words it so)
        page.get_by_role("option", name=model, exact=True).click()
        v.measure(
            v.click("button", "Evaluate on the test split"),
            (f"Evaluate: {model}", plot("Reliability", text=f"{model} on 10,000 test headlines")),
            goal=EVALUATE_GOAL_S,
        )
        scored = re.search(r"([\d.]+) s to score", tab.locator(".prose").filter(has_text=model).first.inner_text())
        v.rows[-1]["scoring_s"] = float(scored.group(1)) if scored else None  # the server's own figure
    page.get_by_text("Does attention explain the prediction?").first.click()
    v.measure(
        v.click("button", "Measure the agreement"),
        ("Does attention explain? (agreement)", dict(text="integrated gradients vs attention")),
    )


def visit_tabs(v):
    # drawn with the page (its views are filled on opening): the time until shown
    v.measure(v.click("tab", "Overview"), ("Overview", plot("THUCNews test accuracy", fresh=False)))
    v.measure(v.click("tab", "Experiments"), ("Experiments", plot(fresh=False)))


def visit_permalink(browser, url, rows):
    """A link to Inside, timed from its page's navigation start to the summary and a first figure."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    context.add_init_script(LONG_TASKS_JS)
    page = context.new_page()
    link = f"{url}?tab=inside&model=TextCNN&headline={quote(PERMALINK_HEADLINE)}&lang=zh-CN"
    wall = time.perf_counter()
    page.goto(link, wait_until="commit")
    v = Visitor(page)
    v.wait(0.0, [("Permalink to Inside (from navigation start)", plot(text="TextCNN 读了"))], GOAL_S)
    v.rows[-1]["wall_s"] = time.perf_counter() - wall  # from before goto, in Python: an upper bound
    v.rows[-1]["timeline"] = page.evaluate(TIMELINE_JS)
    rows += v.rows
    context.close()


def bench_first_draw(checkpoints="checkpoints"):
    """{rows: [{view, seconds, goal_s, ok}], startup_s, load_before, load_after, ...}."""
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="first-draw-") as workdir:
        process, url, startup, log_path = start_fresh_app(workdir, checkpoints)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                page, language_box = open_page(browser, url)
                v = Visitor(page)
                for visit in (visit_predict_and_inside, visit_map, visit_evaluate, visit_tabs):
                    visit(v)
                page.context.close()
                visit_permalink(browser, url, v.rows)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
            app_log = log_path.read_text()[-4000:]
    return dict(
        rows=v.rows,
        startup_s=startup,
        load_before=list(load_before),
        load_after=list(os.getloadavg()),
        cpus=os.cpu_count(),
        language_box=language_box,
        app_log_tail=app_log,
    )


def print_first_draw(r):
    print(
        f"app start-up (python app.py until it answers): {r['startup_s']:.1f} s; "
        f"load average before {fmt_load(r['load_before'])}, after {fmt_load(r['load_after'])} "
        f"({r['cpus']} CPUs); the language box showed {r['language_box']!r}"
    )
    print(f"{'view':<48}{'seconds':>9}{'goal':>7}  meets")
    for row in r["rows"]:
        seconds = "-" if row["seconds"] is None else f"{row['seconds']:.2f}"
        scoring = f"  (the server scored the test split in {row['scoring_s']:.1f} s)" if row.get("scoring_s") else ""
        print(f"{row['view']:<48}{seconds:>9}{row['goal_s']:>6.0f}s  {'yes' if row['ok'] else 'NO '}{scoring}")
    for row in r["rows"]:
        if "timeline" in row:
            print(f"{row['view']}: {format_timeline(row['timeline'])}")
    missed = [row["view"] for row in r["rows"] if not row["ok"]]
    print(
        f"{len(r['rows']) - len(missed)} of {len(r['rows'])} views meet the goal"
        + (f"; missed: {', '.join(missed)}" if missed else "")
    )


def format_timeline(t):
    """The permalink's page, in ms from navigation start (None where the page had no such entry)."""

    def spans(pairs):
        return ", ".join(f"{a:.0f}-{b:.0f}" for a, b in pairs) or "none"

    longest = t["longest_task_ms"]
    return (
        f"HTML {t['html_ms']:.0f}, DOM ready {t['dom_ready_ms']:.0f}, server answers (queue/data) "
        f"{spans(t['queue_data_ms'])}, Plotly chunk ({(t['plotly_chunk_bytes'] or 0) / 1e6:.1f} MB) fetched "
        f"{spans(t['plotly_chunk_ms'])}, longest main-thread task "
        + (f"{longest[1]:.0f} ms from {longest[0]:.0f}" if longest else "none")
    )


def fmt_load(load):
    return " / ".join(f"{x:.2f}" for x in load)
