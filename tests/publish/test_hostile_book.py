"""A book built from a hostile export: its data stays text.

A shop's export whose every text field (categories, channels, products,
customers, a column's name), whose file name and whose mapping (its file
name and its ``name``) carry what an attacker would write: tags that run a
script, MyST roles and directives that copy a local file into the site,
formulas for a spreadsheet. The real chain builds the book from it
(``build_book``: import, chapters, jupyter-book, PDFs), and then:

- in headless Chromium, no page ran a script (each payload would set
  ``window.__pwned``), no page logged an error, and the findings show the
  payloads as written;
- no file from outside the build is in the site (``secret.txt``, placed
  where the payloads' relative paths point);
- no text cell of a CSV download starts a formula;
- the site's Content-Security-Policy stops a payload that would slip
  through the escaping (one is injected raw into a copy of a page).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from book_build import toc_pages
from tools import browser as chromium

pytestmark = [pytest.mark.book, pytest.mark.browser]

#: one word, so that a page that showed it highlighted as code still holds
#: it whole
SECRET = "SecretTextDoNotPublish5b3e9c"


def flag(name: str) -> str:
    return f"window.__pwned='{name}'"


PAYLOADS = {
    "script": f"<script>{flag('script')}</script>",
    "img": f"<img src=x onerror=\"{flag('img')}\">",
    "svg": f"<svg onload=\"{flag('svg')}\">",
    "download": "{download}`../../secret.txt` {download}`../secret.txt`",
    "include": "Toys\n```{literalinclude} ../../secret.txt\n```\n",
    "formula": "=HYPERLINK(\"http://example.com\",\"x\")",
}
CATEGORIES = [PAYLOADS["script"], PAYLOADS["download"], PAYLOADS["include"],
              PAYLOADS["formula"]]
CHANNELS = [PAYLOADS["svg"], PAYLOADS["include"], "@SUM(1+1)"]
ITEM_COLUMN = f"Item <img src=x onerror=\"{flag('column')}\">"
SOURCE_NAME = (f"<img src=x onerror={flag('file')}> O'Brien $HOME; "
               "{download}`secret`.csv")
MAPPING_NAME = f"<svg onload={flag('mapfile')}> map.toml"


def write_export(folder: Path) -> tuple[Path, Path]:
    """A shop of 26 months with seasons, bundles and three channels, whose
    every text is hostile; returns the export and its mapping."""
    rng = np.random.default_rng(7)
    products = [(f"SKU-{i}", f"{PAYLOADS['img' if i % 2 else 'svg']} #{i}",
                 CATEGORIES[i % len(CATEGORIES)], 5.0 + 3 * i)
                for i in range(12)]
    first = dt.datetime(2023, 1, 1)
    rows = []
    for order in range(1500):
        when = first + dt.timedelta(days=int(rng.integers(0, 790)),
                                    minutes=int(rng.integers(0, 1440)))
        customer = int(rng.zipf(1.6)) % 300
        channel = CHANNELS[customer % len(CHANNELS)]
        # a season for the first category, a bundle of products 0 and 1
        chosen = {int(p) for p in rng.choice(12, rng.integers(1, 4))}
        if when.month in (11, 12) and rng.random() < 0.6:
            chosen.add(0)
        if 0 in chosen and rng.random() < 0.7:
            chosen.add(1)
        for sku, name, category, price in (products[p] for p in
                                           sorted(chosen)):
            rows.append({
                "Invoice": f"<b>{order}</b>", "SKU": sku, ITEM_COLUMN: name,
                "Qty": int(rng.integers(1, 4)), "Price": f"{price:.2f}",
                "Cost": f"{price * 0.6:.2f}",
                "When": when.strftime("%Y-%m-%d %H:%M:%S"),
                "Customer": f"{PAYLOADS['script']} {PAYLOADS['download']} "
                            f"C{customer}",
                "Country": PAYLOADS["download"], "Category": category,
                "Channel": channel})
    source = folder / SOURCE_NAME
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fields = {"order_number": "Invoice", "sku": "SKU",
              "product_name": ITEM_COLUMN, "quantity": "Qty",
              "unit_price": "Price", "unit_cost": "Cost", "order_ts": "When",
              "customer_code": "Customer", "country": "Country",
              "category": "Category", "channel": "Channel"}
    mapping = folder / MAPPING_NAME
    mapping.write_text(
        f"name = {json.dumps(PAYLOADS['script'])}\n"
        f"description = {json.dumps(PAYLOADS['include'])}\n"
        "[source]\nformat = \"csv\"\ncurrency = \"EUR\"\n[fields]\n"
        + "".join(f"{key} = {json.dumps(value)}\n"
                  for key, value in fields.items())
        + "[rules]\nnot_products = { column = \"SKU\", equals = "
        + json.dumps([PAYLOADS["svg"]]) + " }\n", encoding="utf-8")
    return source, mapping


@pytest.fixture(scope="module")
def book(pg_url, tmp_path_factory):
    from datagen.params import parse_params
    from datagen.publish.book import build_book
    if chromium.find_browser() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out = tmp_path_factory.mktemp("hostile")
    source, mapping = write_export(tmp_path_factory.mktemp("export"))
    # where the payloads' relative paths point from the staged pages
    for folder in (out, out / "staging", out / "staging" / "book"):
        folder.mkdir(exist_ok=True)
        (folder / "secret.txt").write_text(SECRET)
    log: list[str] = []
    build_book(parse_params(dict(schema="hostile_book", source=str(source),
                                 mapping=str(mapping))),
               out=out, echo=log.append)
    return out


@pytest.fixture(scope="module")
def browser():
    with chromium.Browser() as running:
        yield running


def test_no_page_runs_a_payload_and_the_findings_show_them(book, browser):
    shown = {}
    for docname in toc_pages(imported=True):
        page = browser.page()
        try:
            page.open((book / "html" / f"{docname}.html").as_uri())
            assert page.evaluate("window.__pwned || null") is None, docname
            assert page.errors == [], (docname, page.errors)
            shown[docname] = page.evaluate(
                "Array.from(document.querySelectorAll('.wh-findings'))"
                ".map(box => box.innerText).join('\\n')")
        finally:
            page.close()
    # as written (a line break in a value is a space where it lands): a
    # channel, a category, a customer, a product, the file's name
    shown = {page: " ".join(text.split()) for page, text in shown.items()}
    findings = " ".join(shown.values())
    assert any(" ".join(channel.split()) in shown["book/03_revenue_trends"]
               for channel in CHANNELS), shown
    assert any(" ".join(category.split()) in findings
               for category in CATEGORIES), findings
    assert f"{PAYLOADS['script']} {PAYLOADS['download']} C" in \
        shown["book/04_customer_value"]
    assert f"{PAYLOADS['img']} #" in findings or \
        f"{PAYLOADS['svg']} #" in findings
    assert SOURCE_NAME in shown["book/11_data_import"]


def test_no_file_from_outside_the_build_is_in_the_site(book):
    site = book / "html"
    assert not list(site.rglob("secret.txt"))
    leaked = [str(path.relative_to(site)) for path in site.rglob("*")
              if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert leaked == []


@pytest.mark.process
def test_the_pdf_shows_the_payloads_as_text(book):
    pdf = next((book / "html").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert SECRET not in text
    assert "window.__pwned='script'" in text


def test_no_csv_cell_starts_a_formula(book):
    cells = 0
    for path in (book / "html").rglob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    try:
                        float(cell)
                        continue
                    except ValueError:
                        cells += 1
                    assert not cell.startswith(("=", "+", "-", "@", "\t",
                                                "\r")), (path.name, cell)
    assert cells > 0


def test_the_policy_stops_markup_that_slips_through(book, browser):
    """The second wall: a copy of a page with a payload put in raw, as an
    escaping bug would leave it."""
    site = book / "html" / "book"
    page_file = site / "03_revenue_trends.html"
    broken = site / "03_broken.html"
    text = page_file.read_text()
    assert 'http-equiv="Content-Security-Policy"' in text
    broken.write_text(text.replace(
        "<h1>", PAYLOADS["img"] + PAYLOADS["script"] + "<h1>", 1))
    page = browser.page()
    try:
        page.open(broken.as_uri())
        assert page.evaluate("window.__pwned || null") is None
        assert any("Content Security Policy" in error
                   for error in page.errors), page.errors
        charts = page.charts()  # the page's own scripts still run
        assert charts["charts"] >= 1 and charts["drawn"] == charts["charts"]
    finally:
        page.close()
        broken.unlink()
        shutil.rmtree(site / "__pycache__", ignore_errors=True)
