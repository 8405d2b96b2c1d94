"""``datagen export --out DIR`` writes only into an absent or empty folder,
or one that holds only a feed it wrote (issue 21): that feed is replaced,
and nothing else is ever removed."""

from __future__ import annotations

import json
import os

import pytest

from datagen.generate import feed as feed_files
from datagen.warehouse.export import export

SCHEMA = "hostile_victim"   # as tests/test_hostile_commands.py builds it


@pytest.fixture(scope="module")
def shop(warehouse):
    return warehouse(seed=7, scale=0.1, end_date="2024-05-01", schema=SCHEMA)


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix()
                  for p in folder.rglob("*") if p.is_file())


def test_a_new_folder_and_its_parents_are_made(shop, pg_url, tmp_path):
    out = tmp_path / "a" / "b" / "feed"
    rows = export(shop, "2024-04-01", "2024-04-05", out, url=pg_url)
    assert rows["orders"] > 0
    manifest = feed_files.manifest(out)
    assert ["feed.json", *manifest["files"]] == sorted(
        files_under(out), key=lambda f: f != "feed.json")


def test_a_feed_it_wrote_is_replaced(shop, pg_url, tmp_path):
    out = tmp_path / "feed"
    export(shop, "2024-04-01", "2024-04-10", out, url=pg_url)
    export(shop, "2024-04-20", "2024-04-22", out, url=pg_url,
           file_format="csv")
    days = {f.split("/")[1] for f in files_under(out) if "/" in f}
    assert days == {"event_date=2024-04-21", "event_date=2024-04-22"}
    assert all(f.endswith(".csv") or f == "feed.json"
               for f in files_under(out))


def test_other_files_are_never_removed(shop, pg_url, tmp_path):
    out = tmp_path / "feed"
    export(shop, "2024-04-01", "2024-04-03", out, url=pg_url)
    (out / "notes.txt").write_text("mine\n")
    (out / "orders" / "keep").mkdir()
    (out / "orders" / "keep" / "deep.txt").write_text("mine too\n")
    before = files_under(out)
    with pytest.raises(feed_files.FeedError,
                       match=r"holds what is not a feed written by datagen "
                       r"export \(such as 'notes.txt'\)") as error:
        export(shop, "2024-04-01", "2024-04-05", out, url=pg_url)
    assert "\n" not in str(error.value)
    assert files_under(out) == before


def test_a_folder_without_a_feed_is_left_alone(shop, pg_url, tmp_path):
    (tmp_path / "feed.json").write_text("{}")   # not one datagen wrote
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(feed_files.FeedError, match="not a feed"):
        export(shop, "2024-04-01", "2024-04-05", tmp_path, url=pg_url)
    assert files_under(tmp_path) == ["feed.json", "photo.jpg"]


def test_a_manifest_names_no_file_outside_its_folder(shop, pg_url, tmp_path):
    """feed.json is text from outside too: a name in it that leads out of
    the folder (``..``, an absolute path) removes nothing."""
    outside = tmp_path / "outside.txt"
    outside.write_text("not the feed's\n")
    out = tmp_path / "feed"
    export(shop, "2024-04-01", "2024-04-03", out, url=pg_url)
    manifest = json.loads((out / "feed.json").read_text())
    manifest["files"] += ["../outside.txt", str(outside)]
    (out / "feed.json").write_text(json.dumps(manifest))
    export(shop, "2024-04-01", "2024-04-05", out, url=pg_url)
    assert outside.read_text() == "not the feed's\n"


def test_a_link_in_the_folder_is_not_followed(shop, pg_url, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.txt").write_text("keep\n")
    out = tmp_path / "feed"
    export(shop, "2024-04-01", "2024-04-03", out, url=pg_url)
    os.symlink(target, out / "link")
    with pytest.raises(feed_files.FeedError, match="'link'"):
        export(shop, "2024-04-01", "2024-04-05", out, url=pg_url)
    assert (target / "precious.txt").exists()
