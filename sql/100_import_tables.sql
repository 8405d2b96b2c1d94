-- imported orders: the import schema's tables, created empty.
-- grain: source_line_value, one row per data line of the source as the
-- mapping read it (line_no 1 = the first data line after the header);
-- import_setting, one row: the mapping's rules that sql reads.
-- the lines are copied in block by block; 101 judges each line, 102 builds
-- the star from the lines it imports (warehouse/import_build.py).

create table source_line_value (
    -- ids
    line_no       bigint    not null,
    order_number  text,
    sku           text,
    -- descriptive
    product_name  text,
    category      text,
    brand         text,
    channel       text,
    -- amounts, as the source wrote them
    quantity      bigint    not null,
    unit_price    numeric   not null,
    unit_cost     numeric,
    -- dates
    order_ts      timestamp not null,
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
);

create table import_setting (
    missing_customer text not null
        check (missing_customer in ('reject', 'guest')),
    duplicates       text not null check (duplicates in ('reject', 'keep')),
    zero_price       text not null check (zero_price in ('reject', 'keep')),
    default_channel  text not null,
    channel_group    text not null,
    default_category text not null
);
