"""Parameters: bad values stop with one line naming the parameter, before
any database is touched."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from conftest import run_cli
from datagen.params import ParamError, parse_params


def test_defaults():
    p = parse_params()
    assert (p.seed, p.scale, p.schema) == (42, 1.0, "warehouse")
    assert (p.start_date, p.end_date) == (dt.date(2023, 1, 1),
                                          dt.date(2025, 12, 31))
    assert p.truth_schema == "warehouse_truth"


def test_strings_from_a_command_line_are_parsed():
    p = parse_params(dict(seed="7", scale="0.5", start_date="2024-01-01",
                          end_date="2024-12-31", schema="shop_7"))
    assert (p.seed, p.scale, p.schema) == (7, 0.5, "shop_7")


BAD = [
    ("scale", "0"), ("scale", "-1"), ("scale", "abc"), ("scale", "nan"),
    ("seed", "4.5"), ("seed", "abc"), ("seed", "-3"),
    ("end_date", "2022-01-01"), ("start_date", "2023-02-30"),
    ("end_date", "yesterday"),
    ("schema", "Robert'); drop table students;--"), ("schema", "two words"),
    ("schema", 'quo"ted'), ("schema", "public"), ("schema", "pg_catalog"),
    ("schema", "x" * 41),
    # the names a build derives are not warehouses of their own
    ("schema", "victim__new"), ("schema", "victim_truth"),
    ("schema", "victim_import"), ("schema", "victim_truth__new"),
    ("schema", "victim_import__new"),
    # dates the chapters' pandas can hold; at most 20 years; a size the
    # generator holds
    ("end_date", "2045-01-01"), ("end_date", "2999-12-31"),
    ("start_date", "1899-12-31"), ("end_date", "2043-01-01"),
    ("end_date", "2200-01-01"),
]


@pytest.mark.parametrize("name,value", BAD)
def test_bad_value_names_the_parameter(name, value):
    with pytest.raises(ParamError) as error:
        parse_params({name: value})
    message = str(error.value)
    assert error.value.name == name
    assert message.startswith(name) and "\n" not in message


def test_a_long_value_is_quoted_short():
    with pytest.raises(ParamError) as error:
        parse_params(schema="x\n" * 5000)
    message = str(error.value)
    assert "\n" not in message and len(message) < 300
    assert message.endswith("…)")


def test_a_longer_period_counts_as_a_larger_scale():
    """The generator's sign-ups grow 35% a year: the size of a build (the
    scale of a three-year build as large) grows faster than its days."""
    from datagen.params import latest_end, period_size
    from datagen.warehouse.build import build_size, check_room
    start, growth = dt.date(2023, 1, 1), 0.35
    assert period_size(start, dt.date(2025, 12, 31), growth) \
        == pytest.approx(1.0)
    assert period_size(start, dt.date(2023, 12, 31), growth) < 0.3
    assert period_size(start, dt.date(2042, 12, 31), growth) > 250
    assert build_size(parse_params(end_date="2042-12-31")) > 250
    assert build_size(parse_params(scale=1000)) == pytest.approx(1000)
    # scale 10 over 17 years is as large as scale 1,119 over three
    with pytest.raises(ParamError, match=r"end_date must be at most "
                       r"2039-08-\d\d at scale 10 \(.*scale-1,1\d\d build"):
        check_room(parse_params(scale=10, end_date="2040-01-01"))
    last = latest_end(start, 10, 1000, growth)
    assert build_size(parse_params(scale=10, end_date=last.isoformat())) \
        <= 1000


def test_a_build_names_its_family():
    from datagen.params import family_base, schema_family
    family = schema_family("shop")
    assert set(family) == {"shop", "shop__new", "shop_truth",
                           "shop_truth__new", "shop_import",
                           "shop_import__new"}
    assert {family_base(name) for name in family} == {"shop"}
    assert family_base("shop__new__new") is None


def test_unknown_parameter_is_rejected():
    with pytest.raises(ParamError, match="unknown parameter 'sede'"):
        parse_params({"sede": 1})


@pytest.mark.parametrize("args,name", [
    (["--scale", "0"], "scale"),
    (["--scale", "-2"], "scale"),
    (["--seed", "1.5"], "seed"),
    (["--start-date", "2024-06-01", "--end-date", "2024-01-01"], "end_date"),
    (["--schema", "bad name"], "schema"),
])
@pytest.mark.process
def test_cli_fails_with_one_line_before_touching_the_database(
        args, name, conn):
    schemas_before = _schemas(conn)
    result = run_cli("build", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {name} ")
    assert _schemas(conn) == schemas_before


@pytest.mark.process
def test_cli_param_error_comes_before_connecting():
    # the server named here does not exist: the parameter must fail first
    result = run_cli("build", "--scale", "0", env={
        "DATABASE_URL": "postgresql://nobody:pw@127.0.0.1:1/none"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: scale must be a number greater than 0 and at most 1000 "
        "(got '0')")


def _schemas(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute(
        "select nspname from pg_namespace")}


def test_papermill_injected_unknown_parameter_is_rejected():
    from datagen.params import check_injected
    declared = "# build parameters\nseed = 42\nscale = 1.0\n"
    check_injected([declared, "# Parameters\nseed = 7\nscale = 2\n"])
    with pytest.raises(ParamError, match="unknown parameter 'sede'"):
        check_injected([declared, "# Parameters\nseed = 7\nsede = 2\n"])


def test_a_source_needs_a_readable_file_and_a_mapping(tmp_path):
    with pytest.raises(ParamError, match="source must be a readable file"):
        parse_params(source=str(tmp_path / "missing.csv"),
                     mapping="online-retail")
    export = tmp_path / "orders.csv"
    export.write_text("id\n1\n")
    with pytest.raises(ParamError, match="mapping must be"):
        parse_params(source=str(export))
    with pytest.raises(ParamError, match="source must be the file"):
        parse_params(mapping="online-retail")
    params = parse_params(source=str(export), mapping="online-retail")
    assert params.imported and params.source == str(export.resolve())
    assert not parse_params().imported


@pytest.mark.process
def test_make_book_on_an_export_it_cannot_read_stops_in_one_line(tmp_path):
    """The file and mapping are checked before any server is asked (the
    URL here reaches none) and before any notebook runs."""
    export = tmp_path / "orders.csv"
    export.write_text("id\n1\n")
    result = run_cli("book", "--source", str(export), "--mapping",
                     "online-retail", env={"DATABASE_URL": "postgresql://"
                                           "nobody@127.0.0.1:9/none"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "orders.csv" in lines[0] and "InvoiceNo" in lines[0], lines[0]
