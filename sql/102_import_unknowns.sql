-- an imported warehouse: the columns that a source may lack take null for
-- unknown (001 makes every column not null for the generated shop).
-- definitions: a customer's names, email, city and region (in
-- dim_customer and its history), a product's
-- subcategory, brand, cost and list price, a line's cost at the time of
-- sale (and so every margin built on it), and the generator's seed and
-- scale in build_info.

alter table dim_customer
    alter column first_name drop not null,
    alter column last_name drop not null,
    alter column email drop not null,
    alter column city drop not null,
    alter column region drop not null;

alter table dim_customer_history
    alter column first_name drop not null,
    alter column last_name drop not null,
    alter column email drop not null,
    alter column city drop not null,
    alter column region drop not null;

alter table dim_product
    alter column subcategory drop not null,
    alter column brand drop not null,
    alter column unit_cost drop not null,
    alter column list_price drop not null;

alter table fact_order_item
    alter column unit_cost drop not null;

alter table build_info
    alter column seed drop not null,
    alter column scale drop not null,
    add column source_file text,
    add column mapping text,
    add column currency text check (currency ~ '^[A-Z]{3}$');

-- where the data came from: one row
create table import_info (
    source_file   text        not null,
    source_sha256 text        not null,
    source_lines  bigint      not null,
    mapping       text        not null,
    mapping_file  text        not null,
    currency      text        not null,
    -- the mapping in words: where each warehouse field comes from, and
    -- the rules that judge each line
    fields        text[]      not null,
    rules         text[]      not null
);
