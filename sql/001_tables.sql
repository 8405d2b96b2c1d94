-- star schema: the tables of the warehouse, created empty in the build schema.
-- grain: one row per day / channel / customer / product / order / order line.
-- definitions: all money is numeric(12,2); row-level rules (not null, check)
-- live here so that copy enforces them while loading; keys, uniqueness and
-- foreign keys are added after the load by 010-016 (faster bulk load).

create table dim_date (
    -- ids
    date_key        integer     not null,
    -- dates
    full_date       date        not null,
    year            smallint    not null,
    quarter         smallint    not null check (quarter between 1 and 4),
    month           smallint    not null check (month between 1 and 12),
    month_name      text        not null,
    day_of_month    smallint    not null check (day_of_month between 1 and 31),
    iso_day_of_week smallint    not null
        check (iso_day_of_week between 1 and 7),
    day_name        text        not null,
    iso_week        smallint    not null check (iso_week between 1 and 53),
    is_weekend      boolean     not null,
    constraint dim_date_key_matches_date check (
        date_key = to_char(full_date, 'YYYYMMDD')::integer
    )
);

create table dim_channel (
    channel_id      smallint    not null,
    channel_name    text        not null,
    channel_group   text        not null
        check (channel_group in ('Owned', 'Organic', 'Paid'))
);

create table dim_customer (
    -- ids
    customer_id            integer     not null,
    customer_code          text        not null,
    -- person
    first_name             text        not null,
    last_name              text        not null,
    email                  text        not null check (email like '%_@_%'),
    -- place
    city                   text        not null,
    region                 text        not null,
    country                text        not null,
    -- acquisition
    signup_date            date        not null,
    acquisition_channel_id smallint    not null
);

-- dim_customer_history: type 2, one row per version of a customer's
-- details (dim_customer is the current version). a version is valid from
-- its day (inclusive) to the next version's (exclusive); the current one
-- has no valid_to. the quality gate checks that each customer's versions
-- tile the time from sign-up without gap or overlap (092).
create table dim_customer_history (
    -- the customer as they were: dim_customer's columns and rules
    like dim_customer including constraints,
    -- ids
    customer_version integer not null check (customer_version >= 1),
    -- validity
    valid_from date not null,
    valid_to date,
    is_current boolean not null,
    constraint dim_customer_history_valid_to_after_from
    check (valid_to > valid_from),
    constraint dim_customer_history_current_is_open
    check (is_current = (valid_to is null))
);

create table dim_product (
    -- ids
    product_id      integer         not null,
    sku             text            not null,
    -- descriptive
    product_name    text            not null,
    category        text            not null,
    subcategory     text            not null,
    brand           text            not null,
    -- amounts
    unit_cost       numeric(12, 2)  not null check (unit_cost >= 0),
    list_price      numeric(12, 2)  not null check (list_price >= 0),
    -- lifecycle
    launch_date     date            not null,
    is_active       boolean         not null
);

create table fact_order (
    -- ids
    order_id        bigint          not null,
    order_number    text            not null,
    customer_id     integer         not null,
    channel_id      smallint        not null,
    order_date_key  integer         not null,
    -- dates
    order_ts        timestamp       not null,
    -- status
    order_status    text            not null
        check (order_status in ('completed', 'cancelled', 'returned')),
    -- when the order was cancelled / returned (null until it is): a status
    -- change arrives after the order, so a refresh can change it
    cancelled_ts    timestamp,
    returned_ts     timestamp,
    -- amounts
    items_subtotal  numeric(12, 2)  not null check (items_subtotal >= 0),
    discount_amount numeric(12, 2)  not null check (discount_amount >= 0),
    shipping_amount numeric(12, 2)  not null check (shipping_amount >= 0),
    tax_amount      numeric(12, 2)  not null check (tax_amount >= 0),
    order_total     numeric(12, 2)  not null check (order_total >= 0),
    constraint fact_order_discount_within_subtotal
        check (discount_amount <= items_subtotal),
    constraint fact_order_total_adds_up check (
        order_total
        = items_subtotal - discount_amount + shipping_amount + tax_amount
    ),
    constraint fact_order_date_key_matches_ts check (
        order_date_key = to_char(order_ts, 'YYYYMMDD')::integer
    ),
    constraint fact_order_status_has_its_time check (
        (cancelled_ts is not null) = (order_status = 'cancelled')
        and (returned_ts is not null) = (order_status = 'returned')
    ),
    constraint fact_order_status_after_order check (
        cancelled_ts >= order_ts and returned_ts >= order_ts
    )
);

create table fact_order_item (
    -- ids
    order_id        bigint          not null,
    line_number     smallint        not null check (line_number >= 1),
    customer_id     integer         not null,
    order_date_key  integer         not null,
    product_id      integer         not null,
    -- amounts
    quantity        integer         not null check (quantity > 0),
    unit_price      numeric(12, 2)  not null check (unit_price >= 0),
    unit_cost       numeric(12, 2)  not null check (unit_cost >= 0),
    discount_amount numeric(12, 2)  not null check (discount_amount >= 0),
    net_amount      numeric(12, 2)  not null check (net_amount >= 0),
    constraint fact_order_item_net_adds_up check (
        net_amount = quantity * unit_price - discount_amount
    )
);

-- build_info: one row describing the build that made this schema; a
-- refresh brings end_date (the "as of" date) forward and keeps the date
-- it came from in refreshed_from. start_date .. end_date counts both ends:
-- an import whose orders all fall on one day has start_date = end_date.
create table build_info (
    seed              bigint      not null,
    scale             numeric     not null check (scale > 0),
    start_date        date        not null,
    end_date          date        not null check (end_date >= start_date),
    generator_version text        not null,
    built_at          timestamptz not null default now(),
    build_seconds     numeric,
    refreshed_from    date,
    refreshed_at      timestamptz,
    refresh_seconds   numeric
);

-- data_known: what the data knows, one row per capability (the names of
-- datagen.ingest.mapping.CAPABILITIES: prices, costs, returns,
-- cancellations, channels, categories, customers, customer_names, places,
-- dates); known is false where the source lacks it and the warehouse holds
-- a stated default or a placeholder in its place; how says where it comes
-- from. A generated shop knows every one; an import what its mapping maps.
create table data_known (
    capability text    primary key,
    known      boolean not null,
    how        text    not null
);
