"""Constraints: every key and rule of the contract is present and enforced."""

from __future__ import annotations

import psycopg
import pytest


def constraints(conn, schema):
    rows = conn.execute("""
        select c.conrelid::regclass::text, c.contype,
               pg_get_constraintdef(c.oid)
        from pg_constraint c
        join pg_namespace n on n.oid = c.connamespace
        where n.nspname = %s""", [schema]).fetchall()
    return {(table.split(".")[-1], kind, definition.replace(f"{schema}.", ""))
            for table, kind, definition in rows}


EXPECTED = [
    ("dim_date", "p", "PRIMARY KEY (date_key)"),
    ("dim_date", "u", "UNIQUE (full_date)"),
    ("dim_channel", "p", "PRIMARY KEY (channel_id)"),
    ("dim_channel", "u", "UNIQUE (channel_name)"),
    ("dim_customer", "p", "PRIMARY KEY (customer_id)"),
    ("dim_customer", "u", "UNIQUE (customer_code)"),
    ("dim_customer", "u", "UNIQUE (email)"),
    ("dim_customer", "f",
     "FOREIGN KEY (acquisition_channel_id) REFERENCES dim_channel(channel_id)"),
    ("dim_product", "p", "PRIMARY KEY (product_id)"),
    ("dim_product", "u", "UNIQUE (sku)"),
    ("fact_order", "p", "PRIMARY KEY (order_id)"),
    ("fact_order", "u", "UNIQUE (order_number)"),
    ("fact_order", "u", "UNIQUE (order_id, customer_id)"),
    ("fact_order", "f",
     "FOREIGN KEY (customer_id) REFERENCES dim_customer(customer_id)"),
    ("fact_order", "f",
     "FOREIGN KEY (channel_id) REFERENCES dim_channel(channel_id)"),
    ("fact_order", "f",
     "FOREIGN KEY (order_date_key) REFERENCES dim_date(date_key)"),
    ("fact_order_item", "p", "PRIMARY KEY (order_id, line_number)"),
    ("fact_order_item", "f",
     "FOREIGN KEY (order_id, customer_id) "
     "REFERENCES fact_order(order_id, customer_id)"),
    ("fact_order_item", "f",
     "FOREIGN KEY (customer_id) REFERENCES dim_customer(customer_id)"),
    ("fact_order_item", "f",
     "FOREIGN KEY (order_date_key) REFERENCES dim_date(date_key)"),
    ("fact_order_item", "f",
     "FOREIGN KEY (product_id) REFERENCES dim_product(product_id)"),
]


def test_keys_and_foreign_keys_are_present(conn, warehouse):
    schema = warehouse()
    present = constraints(conn, schema)
    for expected in EXPECTED:
        assert expected in present, expected


def test_checks_are_present(conn, warehouse):
    checks = {(t, d) for t, k, d in constraints(conn, warehouse()) if k == "c"}
    text = " ".join(d for _, d in checks)
    for rule in ["order_status", "'completed'", "'cancelled'", "'returned'",
                 "quantity > 0", "channel_group",
                 "(items_subtotal - discount_amount) + shipping_amount) "
                 "+ tax_amount", "(quantity)::numeric * unit_price) - "
                 "discount_amount"]:
        assert rule in text, rule
    for table, column in [("fact_order", "order_total"),
                          ("fact_order", "tax_amount"),
                          ("fact_order_item", "net_amount"),
                          ("fact_order_item", "unit_price"),
                          ("dim_product", "list_price")]:
        assert (table, f"CHECK (({column} >= (0)::numeric))") in checks


#: the columns that may be null, and why: a status change not yet made,
#: the current version of a customer (valid until further notice)
NULLABLE = {("fact_order", "cancelled_ts"), ("fact_order", "returned_ts"),
            ("dim_customer_history", "valid_to")}


def test_money_is_numeric_12_2_and_keys_are_not_null(conn, warehouse):
    schema = warehouse()
    rows = conn.execute("""
        select c.table_name, c.column_name, c.data_type,
               c.numeric_precision, c.numeric_scale, c.is_nullable
        from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
        where c.table_schema = %s and t.table_type = 'BASE TABLE'
          and c.table_name ~ '^(dim|fact)_'""",  # the star, not the views
                        [schema]).fetchall()
    for table, column, kind, precision, scale, nullable in rows:
        assert nullable == ("YES" if (table, column) in NULLABLE else "NO"), (
            table, column)
        if kind == "numeric":
            assert (precision, scale) == (12, 2), (table, column)


# one statement per kind of rule; each must be rejected
VIOLATIONS = {
    "primary key": ("insert into dim_channel select * from dim_channel "
                    "limit 1", psycopg.errors.UniqueViolation),
    "unique email": ("""insert into dim_customer select customer_id + 1000000,
        customer_code || 'x', first_name, last_name, email, city, region,
        country, signup_date, acquisition_channel_id from dim_customer
        limit 1""", psycopg.errors.UniqueViolation),
    "foreign key": ("""update fact_order set customer_id = -1
        where order_id = (select min(order_id) from fact_order)""",
                    psycopg.errors.ForeignKeyViolation),
    "not null": ("update dim_product set brand = null where product_id = 1",
                 psycopg.errors.NotNullViolation),
    "quantity > 0": ("""update fact_order_item set quantity = 0,
        net_amount = -discount_amount where line_number = 1""",
                     psycopg.errors.CheckViolation),
    "status values": ("update fact_order set order_status = 'shipped'",
                      psycopg.errors.CheckViolation),
    "order total adds up": (
        "update fact_order set order_total = order_total + 0.01",
        psycopg.errors.CheckViolation),
    "net amount adds up": (
        "update fact_order_item set net_amount = net_amount + 0.01",
        psycopg.errors.CheckViolation),
    "non-negative amount": (
        """update fact_order set shipping_amount = -1,
        order_total = order_total - shipping_amount - 1""",
        psycopg.errors.CheckViolation),
    "date key matches timestamp": (
        "update fact_order set order_ts = order_ts + interval '1 day'",
        psycopg.errors.CheckViolation),
    "channel group": ("update dim_channel set channel_group = 'Other'",
                      psycopg.errors.CheckViolation),
}


@pytest.mark.parametrize("rule", VIOLATIONS)
def test_each_rule_is_enforced(conn, warehouse, rule):
    schema = warehouse()
    statement, error = VIOLATIONS[rule]
    conn.execute(f'set search_path to "{schema}"')
    with pytest.raises(error):
        with conn.transaction():
            conn.execute(statement)
