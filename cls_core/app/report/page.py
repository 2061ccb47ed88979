"""One self-contained HTML file of a story (cls_core.app.report.story): plotly.js inlined
once (plotly's own offline bundle), then each figure as a div and the few lines that draw
it, the prose rendered from Markdown. Nothing is fetched when it opens: it reads the same
from a USB stick or a mail attachment, offline.
"""

import html
import time
from pathlib import Path

import plotly.io as pio
from markdown_it import MarkdownIt
from plotly.offline import get_plotlyjs

from cls_core.app.i18n import LANGUAGES
from cls_core.app.report.story import REPORT_COMMAND, Figure, Table, tell
from cls_core.app.report.words import say

# The mode bar without the plotly logo (a link out) and without the cloud buttons.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
HTML_LANG = {"en": "en", "zh-CN": "zh-Hans", "zh-TW": "zh-Hant-TW", "zh-HK": "zh-Hant-HK"}
STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #1f2d3d;
       max-width: 980px; margin: 0 auto; padding: 24px 20px 80px; line-height: 1.6; }
h1 { font-size: 1.7em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #d8dee4; padding-bottom: .2em; }
code, pre { background: #f3f5f7; border-radius: 4px; } code { padding: 1px 4px; font-size: .9em; }
pre { padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #d8dee4; padding: 4px 10px; }
th { background: #f3f5f7; } td { text-align: right; } td:first-child { text-align: left; }
/* a table wider than the page (a phone) scrolls sideways, a shadow at the edge where more lies */
table { display: block; max-width: 100%; width: max-content; overflow-x: auto;
        background: linear-gradient(to right, white 30%, rgba(255, 255, 255, 0)) left / 32px 100% no-repeat local,
                    linear-gradient(to left, white 30%, rgba(255, 255, 255, 0)) right / 32px 100% no-repeat local,
                    radial-gradient(farthest-side at 0 50%, #0003, transparent) left / 12px 100% no-repeat,
                    radial-gradient(farthest-side at 100% 50%, #0003, transparent) right / 12px 100% no-repeat; }
.figure { margin: 1.2em 0 1.6em; } .command { color: #5c6f82; font-size: .85em; margin-top: -4px; }
.figure, .plotly-graph-div { max-width: 100%; } .command { overflow-wrap: anywhere; }
nav ol { columns: 2; }
@media (max-width: 640px) { body { padding: 16px 12px 60px; } nav ol { columns: 1; } }
"""


def markdown():
    return MarkdownIt("commonmark", {"html": False}).enable("table")  # typed text never becomes a tag


def _table(table):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(block, number, lang, md):
    div = pio.to_html(
        block.figure, full_html=False, include_plotlyjs=False, config=FIGURE_CONFIG, div_id=f"figure-{number}"
    )
    command = md.renderInline(say("reproduce", lang, command=block.command))
    return f'<div class="figure">{div}<div class="command">{command}</div></div>'


def render(sections, lang="en"):
    """The HTML document of a story's sections."""
    md = markdown()
    parts, number = [], 0
    for section in sections:
        parts.append(f'<h2 id="{section.key}">{html.escape(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Figure):
                number += 1
                parts.append(_figure(block, number, lang, md))
            elif isinstance(block, Table):
                parts.append(_table(block))
            else:
                parts.append(md.render(block))
    contents = "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>' for s in sections)
    title = say("title", lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{HTML_LANG.get(lang, "en")}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{html.escape(title)}</title>\n'
        f"<style>{STYLE}</style>\n<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{md.render(say('built', lang, command=REPORT_COMMAND.format(lang=lang)))}"
        f"<nav><h3>{html.escape(say('contents', lang))}</h3><ol>{contents}</ol></nav>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def write_report(records, lang, out):
    """Write the report in lang to out; returns (bytes, seconds taken)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    start = time.perf_counter()
    document = render(tell(records, lang), lang)
    Path(out).write_text(document, encoding="utf-8")
    return Path(out).stat().st_size, time.perf_counter() - start
