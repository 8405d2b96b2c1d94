"""The PDF assembly's own parts, on PDFs made here with pypdf (no
Chromium): which trailing pages hold nothing (``pdf._blank_tail``), and a
number sheet laid over a page (``pdf._overlay``) whose text then ends the
page, with the page's own content unchanged and still first."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    RectangleObject,
)

from datagen.publish import pdf


def test_the_printer_reads_the_site_under_a_secret_folder(tmp_path):
    """While the book prints, its site is served on 127.0.0.1: only under
    a secret first folder, never a listing, nothing outside the site."""
    (tmp_path / "site" / "book").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_text("the book")
    (tmp_path / "outside.html").write_text("not the book")

    def get(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    with pdf._served(tmp_path / "site") as base:
        root = base.split("/", 3)
        root = "/".join(root[:3]) + "/"
        secret = base[len(root):].strip("/")
        assert len(secret) >= 20
        assert get(base + "index.html") == (200, "the book")
        assert get(root + "index.html")[0] == 404
        assert get(root + "x" + secret + "/index.html")[0] == 404
        assert get(base + "book/")[0] == 404
        assert get(base + "../outside.html")[0] == 404
        assert get(base + "%2e%2e/outside.html")[0] == 404

FONT = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                         NameObject("/Subtype"): NameObject("/Type1"),
                         NameObject("/BaseFont"): NameObject("/Helvetica")})


def _stream(writer, data: bytes, **entries):
    made = DecodedStreamObject()
    made.set_data(data)
    made.update({NameObject(k): v for k, v in entries.items()})
    return writer._add_object(made)


def _pdf(*pages: tuple[bytes, bytes | None]) -> PdfReader:
    """A PDF of A4 pages, each (its content, a form it draws or None)."""
    writer = PdfWriter()
    for content, form in pages:
        page = writer.add_blank_page(595, 842)
        resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(FONT)})})
        if form is not None:
            resources[NameObject("/XObject")] = DictionaryObject({
                NameObject("/Fm"): _stream(
                    writer, form, **{
                        "/Type": NameObject("/XObject"),
                        "/Subtype": NameObject("/Form"),
                        "/BBox": RectangleObject([0, 0, 595, 842]),
                        "/Resources": DictionaryObject({
                            NameObject("/Font"): DictionaryObject({
                                NameObject("/F1"): writer._add_object(
                                    FONT)})})})})
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = _stream(writer, content)
    out = io.BytesIO()
    writer.write(out)
    return PdfReader(io.BytesIO(out.getvalue()))


TEXT = b"BT /F1 12 Tf 72 720 Td (Revenue trends) Tj ET"
ARRAY = b"BT /F1 12 Tf 72 700 Td [(Net) -250 (revenue)] TJ ET"
RULE = b"0 0 1 RG 72 100 m 500 100 l S"
DRAW_FORM = b"q /Fm Do Q"


def test_trailing_pages_without_text_are_the_blank_tail():
    assert pdf._blank_tail(_pdf((TEXT, None), (RULE, None),
                                (b"", None))) == 2
    # text shown by either operator, or inside a form the page draws
    assert pdf._blank_tail(_pdf((TEXT, None), (ARRAY, None))) == 0
    assert pdf._blank_tail(_pdf((TEXT, None), (DRAW_FORM, TEXT))) == 0
    assert pdf._blank_tail(_pdf((TEXT, None), (DRAW_FORM, RULE))) == 1
    # the first page stays, whatever it holds
    assert pdf._blank_tail(_pdf((b"", None))) == 0


def test_a_number_sheet_is_drawn_over_the_page_last():
    body = _pdf((TEXT, None), (ARRAY, None))
    sheets = _pdf((b"BT /F1 6 Tf 400 30 Td (page 1 of 2) Tj ET", None),
                  (b"BT /F1 6 Tf 400 30 Td (page 2 of 2) Tj ET", None))
    writer = PdfWriter()
    writer.append(body)
    for index, page in enumerate(writer.pages):
        pdf._overlay(writer, page, sheets.pages[index])
    out = io.BytesIO()
    writer.write(out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert texts == ["Revenue trends page 1 of 2", "Net revenue page 2 of 2"]
    # the page's own content is kept as it was, between q and Q
    first = reader.pages[0]["/Contents"]
    assert [part.get_object().get_data().strip() for part in first][:3] == [
        b"q", TEXT, b"Q\nq /WhNumber Do Q"]
