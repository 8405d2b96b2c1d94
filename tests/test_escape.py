"""escape: outside text stays text wherever it lands.

Each payload an attacker would put into a field, a file name or a mapping
is escaped for Markdown and parsed by the MyST parser the book uses (every
extension the book could enable switched on): it must come out as one text
token holding the value as written; for HTML it must leave no tag; for a
CSV it must not start a formula; for an error line it must be short and
on one line.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from datagen.escape import (
    chart,
    clean,
    code,
    csv_cell,
    html,
    markdown,
    md,
    shown,
    shown_path,
)

PAYLOADS = [
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=\"window.__pwned = 1\">",
    "<svg onload=window.__pwned=1>",
    "{download}`../../secret.txt`",
    "Toys\n```{literalinclude} ../../secret.txt\n```",
    "Toys\n\n:::{note}\nraw\n:::",
    "$x^2$ and $$y$$",
    "{{ project }} {sub-ref}`today`",
    "[click](javascript:alert(1)) <https://example.com>",
    "**bold** _em_ `code` ~~del~~ \\*",
    "# heading", "- item", "1. item", "> quote", "| a | b |",
    "&lt;script&gt; &amp; &#60;", "O'Brien \"quoted\"", "a\\", "`",
    "x\u202ey\u2066z\x00\r\n\t",
    "=HYPERLINK(\"http://x\")", "-2+3", "+1", "@SUM(A1)",
]


def parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    extensions = {"colon_fence", "substitution", "dollarmath", "amsmath",
                  "deflist", "linkify", "tasklist", "html_image",
                  "strikethrough", "attrs_inline", "replacements",
                  "smartquotes"} - {"linkify"}  # linkify-it-py not installed
    return create_md_parser(MdParserConfig(enable_extensions=extensions),
                            RendererHTML)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_is_one_text_token_with_the_value(payload):
    tokens = parser().parse(str(markdown(payload)))
    assert [t.type for t in tokens] == ["paragraph_open", "inline",
                                        "paragraph_close"]
    children = tokens[1].children
    assert {t.type for t in children} == {"text"}, children
    # a paragraph's own leading and trailing blanks are not its text
    assert "".join(t.content for t in children) == clean(payload).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_template_escapes_its_values_and_keeps_its_own_markup(payload):
    sentence = md("**{}** sold most, {}", payload, md("*{}*", payload))
    children = [t for t in parser().parse(str(sentence))[1].children
                if t.type != "text" or t.content]
    types = [t.type for t in children]
    assert types[0] == "strong_open" and "em_open" in types
    assert set(types) <= {"text", "strong_open", "strong_close", "em_open",
                          "em_close"}
    texts = [t.content for t in children if t.type == "text"]
    value = clean(payload).strip()
    assert texts[0] == value and texts[-1] == value


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_code_span_holds_the_value(payload):
    children = parser().parse(str(code(payload)))[1].children
    assert [t.type for t in children] == ["code_inline"]
    assert children[0].content.strip() == clean(payload).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_joined_with_plus_is_escaped_and_keeps_its_blanks(payload):
    # "**All 19 checks passed**" + " (checked ...)." lost its blank once
    sentence = md("**{}**", "bold") + f" and {payload} " + md("*{}*", "em")
    assert isinstance(sentence, type(md("x")))
    children = [t for t in parser().parse(str(sentence))[1].children
                if t.type != "text" or t.content]
    types = [t.type for t in children]
    assert types == ["strong_open", "text", "strong_close", "text",
                     "em_open", "text", "em_close"], children
    assert children[3].content == f" and {clean(payload)} "
    assert str("x, " + md("**{}**", "y")).startswith("x\\, **")


def test_an_f_string_is_plain_text_and_shown_escaped():
    name = "<b>Toys</b>"
    assert type(f"**{md('{}', name)}**") is str
    assert str(markdown(f"**{name}**")).startswith("\\*\\*\\<b\\>")
    assert markdown(md("**{}**", name)) == md("**{}**", name)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_text_and_attribute_hold_no_tag(payload):
    page = _Tags()
    page.feed(f'<p title="{html(payload)}">{html(payload)}</p>')
    assert page.tags == ["p"]
    assert "".join(page.text) == clean(payload)


def test_chart_text_is_entities_and_other_values_stay():
    assert chart("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
    assert chart(3.5) == 3.5 and chart(None) is None


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Toys", "Toys"), ("", ""),
    (-1, -1), (2.5, 2.5), (None, None),
])
def test_csv_cells_that_start_a_formula_are_neutralised(value, written):
    assert csv_cell(value) == written


def test_csv_download_keeps_numbers_and_neutralises_text(tmp_path,
                                                         monkeypatch):
    from datagen.chapters import tables
    monkeypatch.setenv(tables.DATA_DIR_VARIABLE, str(tmp_path / "p_data"))
    frame = pd.DataFrame({"category": ["=cmd|' /C calc'!A0", "-Toys", "ok"],
                          "net_revenue": [-12.5, 3.0, 0.0]})
    tables.write_csv(frame, "table", "formulas", "Download")
    written = pd.read_csv(next((tmp_path / "p_data").glob("*.csv")))
    assert written.category.tolist() == ["'=cmd|' /C calc'!A0", "'-Toys",
                                         "ok"]
    assert written.net_revenue.tolist() == [-12.5, 3.0, 0.0]


def test_error_quotes_are_short_and_one_line():
    line = shown("evil';touch PWNED;'\n" * 20, limit=30)
    assert "\n" not in line and len(line) < 40 and line.endswith("…")
    assert shown_path("/tmp/orders.csv") == "/tmp/orders.csv"
    assert shown_path("/tmp/a b.csv") == "'/tmp/a b.csv'"
    assert "\n" not in shown_path("/tmp/a\nb.csv")
    assert shown_path("/x/" + "d" * 300 + "/orders.csv").endswith(
        "orders.csv'")
