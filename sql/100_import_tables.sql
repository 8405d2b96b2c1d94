-- imported orders: the import schema's tables, created empty.
-- grain: source_line_value, one row per data line of the lines file as
-- the mapping read it (line_no 1 = the first data line), joined to the
-- export's other files; source_line_read, the lines file as read when it
-- is joined (105 joins it into source_line_value); source_order_value,
-- source_product_value and source_customer_value, one row per line of the
-- orders, products and customers files, in the same columns (those a file
-- does not give are null); import_setting, one row: the mapping's rules
-- that sql reads; import_status, one row per value of a status column
-- the mapping lists, and the order status it means.
-- the files are copied in block by block; 105 joins them, 101 judges and
-- prices each line, 103 builds the star from the lines it imports
-- (warehouse/import_build.py). autovacuum is kept off the lines: written
-- once, they have nothing to vacuum, and it vacuumed source_line_value for
-- seconds beside the build's own work.
-- definitions: amounts are the source's own, read as exact decimals
-- (unit_price and unit_cost per unit; line_total after the line's
-- discount, line_subtotal before it, line_discount an amount,
-- discount_rate a fraction, line_cost and profit for the whole line)

create table source_line_value (
    -- ids
    line_no       bigint    not null,
    order_number  text,
    sku           text,
    -- descriptive
    product_name  text,
    category      text,
    subcategory   text,
    brand         text,
    channel       text,
    status        text,
    -- amounts, as the source wrote them
    quantity      bigint,
    unit_price    numeric,
    line_total    numeric,
    line_subtotal numeric,
    line_discount numeric,
    discount_rate numeric,
    unit_cost     numeric,
    line_cost     numeric,
    profit        numeric,
    -- dates
    order_ts      timestamp,
    -- customer
    customer_code text,
    country       text,
    city          text,
    region        text,
    email         text,
    first_name    text,
    last_name     text,
    -- the mapping's per-line rules
    is_returned   boolean   not null,
    is_cancelled  boolean   not null,
    not_product   boolean   not null,
    -- every column the mapping reads, joined: equal for exact repeats
    line_key      text      not null
) with (autovacuum_enabled = false);

create table source_line_read (like source_line_value)
with (autovacuum_enabled = false);

create table source_order_value (like source_line_value)
with (autovacuum_enabled = false);

create table source_product_value (like source_line_value)
with (autovacuum_enabled = false);

create table source_customer_value (like source_line_value)
with (autovacuum_enabled = false);

create table import_setting (
    missing_customer text not null
        check (missing_customer in ('reject', 'guest')),
    duplicates       text not null check (duplicates in ('reject', 'keep')),
    zero_price       text not null check (zero_price in ('reject', 'keep')),
    default_channel  text not null,
    channel_group    text not null,
    default_category text not null,
    -- unit: a unit price; amounts: line amounts, the unit price derived;
    -- none: no price (every unit price 0.00, a placeholder)
    prices           text not null
        check (prices in ('unit', 'amounts', 'none')),
    order_fields     text not null
        check (order_fields in ('each_line', 'first_line')),
    -- a status value the mapping does not list: completed, or rejected
    -- (when it lists the completed ones); null without a status column
    status_other     text check (status_other in ('completed', 'reject'))
);

create table import_status (
    value  text primary key,
    status text not null
        check (status in ('completed', 'cancelled', 'returned'))
);
