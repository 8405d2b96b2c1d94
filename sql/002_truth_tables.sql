-- truth: what the generator planted, written beside the warehouse in the
-- schema <schema>_truth so that the last chapter can check how well each
-- method recovers it. analytic chapters never read these tables.
-- grain: one row per customer / persona / bundle / seasonal peak / parameter.

-- customer_persona: each customer's persona and what the generator drew
-- for them: the day of their first order and the last day they are active
-- (null for a customer who never orders; both may lie after the last day
-- of the data), and their own rate of repeat orders a year (the
-- persona's repeat_orders_per_year times a factor of their own); the
-- lifetime value chapter's check reads them.
create table customer_persona (
    customer_id            integer primary key,
    persona                text    not null,
    first_order_day        date,
    last_active_day        date
        check (last_active_day >= first_order_day),
    repeat_orders_per_year double precision not null
        check (repeat_orders_per_year >= 0)
);

create table persona (
    persona              text    primary key,
    share                numeric not null,
    repeat_orders_per_year numeric not null,
    mean_lines_per_order numeric not null,
    price_sensitivity    numeric not null,
    promo_propensity     numeric not null,
    mean_lifetime_days   numeric not null
);

create table bundle (
    bundle_id  integer primary key,
    product_a  integer not null,
    product_b  integer not null,
    bundle_name text   not null,
    check (product_a < product_b)
);

create table seasonal_category (
    category   text     not null,
    peak_month smallint not null check (peak_month between 1 and 12),
    multiplier numeric  not null,
    primary key (category, peak_month)
);

create table parameter (
    name  text primary key,
    value text not null,
    description text not null
);
