-- quality checks: the data-quality gate of the build.
-- grain: each qc_<name> view holds one row per violation of its rule (no
-- row: the check passes); quality_check holds one row per check with the
-- result of the last run.
-- purpose: rules that a single-row CHECK cannot express, and the row-level
-- rules again (a constraint can be dropped; a check cannot be skipped).
-- warehouse/quality.py runs every qc_ view at the end of the build, before
-- the new warehouse is swapped in; any violation fails the build and names
-- the check with its first rows. the comment on each view is its
-- description.
-- definitions: net revenue = sum(fact_order_item.net_amount) over completed
-- orders (order_status = 'completed'); the data period is
-- build_info.start_date .. build_info.end_date.
-- in a refresh (datagen refresh) the checks read only the rows it added or
-- changed, where their lines "-- incremental:" say so (refresh_orders,
-- refresh_customers: warehouse/maintain.py): every other row is as the
-- last gate passed it.
-- speed: the checks that compare the lines with their orders read
-- quality_order_lines, one streaming pass over both fact tables that
-- warehouse/quality.py refreshes before every run (so the checks always see
-- the tables as they are); a foreign key that postgresql has validated and
-- enforces needs no second look-up of every row.

create table quality_check (
    -- ids
    check_name  text        not null primary key,
    -- what it checks
    description text        not null,
    -- result
    violations  bigint      not null check (violations >= 0),
    passed      boolean     not null,
    first_rows  text        not null,
    checked_at  timestamptz not null default now(),
    constraint quality_check_passed_means_no_violation
        check (passed = (violations = 0))
);


-- every table of the star schema has rows
-- the star's tables are the schema's own dim_ and fact_ tables (001 creates
-- them); a table is empty when it has no first row (none is counted)
create function qc_is_empty(relation regclass) returns boolean
language plpgsql stable as $$
declare
    empty boolean;
begin
    execute format('select not exists (select 1 from %s)', relation)
        into empty;
    return empty;
end
$$;

create view qc_row_counts as

with

star_tables as (
    select
        tables.oid::regclass as table_oid,
        tables.relname::text as table_name
    from pg_catalog.pg_class as tables
    where tables.relnamespace = (
        select build_info.relnamespace
        from pg_catalog.pg_class as build_info
        where build_info.oid = 'build_info'::regclass
    )
        and tables.relkind = 'r'
        and tables.relname ~ '^(dim|fact)_'
),

final as (
    select
        table_name,
        0::bigint as row_count
    from star_tables
    where qc_is_empty(table_oid)
)

select * from final;

comment on view qc_row_counts is
    'every table of the star schema has at least one row';


-- the one-row tables have exactly one row
create view qc_one_row_tables as

with

row_counts as (
    select 'build_info' as table_name, count(*) as row_count from build_info
    union all
    select 'analysis_setting', count(*) from analysis_setting
),

final as (
    select *
    from row_counts
    where row_count <> 1
)

select * from final;

comment on view qc_one_row_tables is
    'build_info and analysis_setting hold exactly one row';


-- every foreign key value has its row in the referenced table
-- quality_foreign_key lists every foreign key that the key files (010-016)
-- add, read from them by the build (warehouse/quality.py), so that a key
-- whose constraint is missing is still looked up. a key with a foreign key
-- that postgresql validated (every row, when it was added) and enforces
-- (its triggers are not disabled) cannot have an orphan, so its look-up is
-- skipped: it reads nothing. a key without one (a warehouse loaded by hand,
-- a dropped constraint) is looked up row by row.
-- a composite foreign key (a line's (order_id, customer_id)) enforces its
-- first column too, and a key is listed and looked up by its first column.
-- (rows written while the constraint's triggers were disabled, as by a
-- data-only restore with --disable-triggers, are not looked up again.)
create table quality_foreign_key (
    -- ids
    key_column        text     not null primary key,
    -- the key
    table_oid         regclass not null,
    column_name       name     not null,
    -- what it references
    referenced_oid    regclass not null,
    referenced_column name     not null,
    -- how a row of the table is named in the results
    row_id_column     name     not null
);

-- the rows of one table whose key has no row in the referenced table
create function qc_orphan_rows(
    table_oid regclass,
    column_name name,
    referenced_oid regclass,
    referenced_column name,
    row_id_column name
) returns table (row_id bigint, missing_value bigint)
language plpgsql stable as $$
begin
    return query execute format(
        'select rows.%1$I::bigint, rows.%2$I::bigint from %3$s as rows '
        'where rows.%2$I is not null and not exists ('
        'select 1 from %4$s as referenced '
        'where referenced.%5$I = rows.%2$I)',
        row_id_column, column_name, table_oid, referenced_oid,
        referenced_column);
end
$$;

create view qc_orphan_keys as

with

declared_keys as (
    select * from quality_foreign_key
),

enforced_keys as (
    select
        constraints.conrelid as table_oid,
        columns.attname as column_name,
        constraints.confrelid as referenced_oid
    from pg_catalog.pg_constraint as constraints
    inner join pg_catalog.pg_attribute as columns
        on constraints.conrelid = columns.attrelid
        and constraints.conkey[1] = columns.attnum
    where constraints.contype = 'f'
        and constraints.convalidated
        and not exists (
            select 1 from pg_catalog.pg_trigger as triggers
            where triggers.tgconstraint = constraints.oid
                and triggers.tgenabled = 'D'
        )
),

keys_to_look_up as (
    select declared_keys.*
    from declared_keys
    where not exists (
        select 1 from enforced_keys
        where enforced_keys.table_oid = declared_keys.table_oid
            and enforced_keys.column_name = declared_keys.column_name
            and enforced_keys.referenced_oid = declared_keys.referenced_oid
    )
),

orphans as (
    select
        keys.key_column,
        orphan.row_id,
        orphan.missing_value
    from keys_to_look_up as keys
    cross join lateral qc_orphan_rows(
        keys.table_oid, keys.column_name, keys.referenced_oid,
        keys.referenced_column, keys.row_id_column
    ) as orphan
),

final as (
    select * from orphans
)

select * from final;

comment on view qc_orphan_keys is
    'no orphans: every key of a fact or dimension row exists in the table '
    'it references (row_id: the order, or the customer)';


-- a line carries its order's customer and date
-- quality_order_lines joins each order with its lines on (order_id,
-- customer_id), the join a citus worker makes on its own shards, and finds
-- the orders with a line of another date in its one pass; only their lines
-- are read again, to show them. a line with the order_id of another
-- customer's order is not among its order's lines there (on a cluster it
-- lies in another customer's shard, and its order's lines do not add up
-- without it): it is a line that no order of its own customer has, found by
-- a co-located anti-join (with an order id that no order has, it is also an
-- orphan key).
create view qc_line_keys_match_order as

with

order_lines as (
    select * from quality_order_lines
    -- incremental: where order_id in (select order_id from refresh_orders)
),

-- read twice below, and inlined where read (not materialized): a
-- materialized fact table would be brought whole to a citus coordinator
orders as not materialized (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

order_items as not materialized (
    select * from fact_order_item
    -- incremental: where order_id in (select order_id from refresh_orders)
),

-- materialized: the few flagged orders, not all of quality_order_lines,
-- are what a citus coordinator sends to the workers
flagged_orders as materialized (
    select order_id
    from order_lines
    where lines_keys_differ
),

other_date_lines as (
    select
        order_items.order_id,
        order_items.line_number,
        order_items.customer_id,
        orders.customer_id as order_customer_id,
        order_items.order_date_key,
        orders.order_date_key as order_order_date_key
    from flagged_orders
    inner join orders
        on flagged_orders.order_id = orders.order_id
    inner join order_items
        on orders.order_id = order_items.order_id
        and orders.customer_id = order_items.customer_id
    where order_items.order_date_key <> orders.order_date_key
),

other_customer_lines as (
    select
        order_items.order_id,
        order_items.line_number,
        order_items.customer_id,
        orders.customer_id as order_customer_id,
        order_items.order_date_key,
        orders.order_date_key as order_order_date_key
    from order_items
    left join orders
        on order_items.order_id = orders.order_id
        and order_items.customer_id = orders.customer_id
    where orders.order_id is null
),

final as (
    select * from other_date_lines
    union all
    select * from other_customer_lines
)

select * from final;

comment on view qc_line_keys_match_order is
    'every line has the customer_id and order_date_key of its order';


-- line amounts add up
create view qc_line_net_amount as

with

order_items as (
    select * from fact_order_item
    -- incremental: where order_id in (select order_id from refresh_orders)
),

final as (
    select
        order_id,
        line_number,
        quantity,
        unit_price,
        discount_amount,
        net_amount,
        quantity * unit_price - discount_amount as expected_net_amount
    from order_items
    where net_amount <> quantity * unit_price - discount_amount
        or quantity <= 0
)

select * from final;

comment on view qc_line_net_amount is
    'every line has quantity > 0 and '
    'net_amount = quantity * unit_price - discount_amount';


-- order amounts reconcile with their lines to the cent
-- (quality_order_lines finds the orders that do not in its one pass; only
-- their lines are read again, to show the amounts)
create view qc_order_totals_match_lines as

with

order_lines as (
    select * from quality_order_lines
    -- incremental: where order_id in (select order_id from refresh_orders)
),

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

flagged_orders as (
    select order_id
    from order_lines
    where totals_differ
),

line_totals as (
    select
        flagged_orders.order_id,
        sum(order_items.quantity * order_items.unit_price) as lines_subtotal,
        sum(order_items.discount_amount) as lines_discount
    from flagged_orders
    inner join order_items
        on flagged_orders.order_id = order_items.order_id
    group by flagged_orders.order_id
),

final as (
    select
        orders.order_id,
        orders.items_subtotal,
        coalesce(line_totals.lines_subtotal, 0) as lines_subtotal,
        orders.discount_amount,
        coalesce(line_totals.lines_discount, 0) as lines_discount
    from flagged_orders
    inner join orders
        on flagged_orders.order_id = orders.order_id
    left join line_totals
        on flagged_orders.order_id = line_totals.order_id
)

select * from final;

comment on view qc_order_totals_match_lines is
    'every order has items_subtotal = sum(quantity * unit_price) and '
    'discount_amount = sum(discount_amount) over its lines, to the cent';


-- the order total formula
create view qc_order_total_formula as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

final as (
    select
        order_id,
        items_subtotal,
        discount_amount,
        shipping_amount,
        tax_amount,
        order_total,
        items_subtotal - discount_amount + shipping_amount + tax_amount
            as expected_order_total
    from orders
    where order_total
        <> items_subtotal - discount_amount + shipping_amount + tax_amount
)

select * from final;

comment on view qc_order_total_formula is
    'every order has order_total = items_subtotal - discount_amount '
    '+ shipping_amount + tax_amount';


-- completed orders have lines
create view qc_completed_order_has_lines as

with

order_lines as (
    select * from quality_order_lines
    -- incremental: where order_id in (select order_id from refresh_orders)
),

orders as (
    select * from fact_order
),

-- materialized: the few such orders, not all of quality_order_lines, are
-- what a citus coordinator sends to the workers
empty_completed_orders as materialized (
    select order_id
    from order_lines
    where order_status = 'completed'
        and lines = 0
),

final as (
    select
        orders.order_id,
        orders.order_number,
        orders.order_status
    from empty_completed_orders
    inner join orders
        on empty_completed_orders.order_id = orders.order_id
)

select * from final;

comment on view qc_completed_order_has_lines is
    'every completed order has at least one line';


-- no order before the customer signed up
create view qc_order_after_signup as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

customers as (
    select * from dim_customer
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_ts,
        customers.signup_date
    from orders
    inner join customers
        on orders.customer_id = customers.customer_id
    where orders.order_ts::date < customers.signup_date
)

select * from final;

comment on view qc_order_after_signup is
    'no order is dated before its customer''s signup_date';


-- the date key is the order's date
create view qc_order_date_key_matches_ts as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

final as (
    select
        order_id,
        order_date_key,
        order_ts
    from orders
    where order_date_key <> to_char(order_ts, 'YYYYMMDD')::integer
)

select * from final;

comment on view qc_order_date_key_matches_ts is
    'every order has order_date_key = order_ts::date as yyyymmdd';


-- status values
create view qc_order_status_values as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

final as (
    select
        order_status,
        count(*) as orders
    from orders
    where order_status not in ('completed', 'cancelled', 'returned')
        or order_status is null
    group by order_status
)

select * from final;

comment on view qc_order_status_values is
    'order_status is one of completed, cancelled, returned';


-- dates in the data period
create view qc_dates_in_period as

with

period as (
    select
        start_date,
        end_date
    from build_info
),

dates as (
    select * from dim_date
),

calendar_span as (
    select
        min(full_date) as first_date,
        max(full_date) as last_date,
        count(*) as days
    from dates
),

out_of_period as (
    select
        'fact_order.order_ts' as date_column,
        fact_order.order_id as row_id,
        fact_order.order_ts::date as value
    from fact_order
    cross join period
    where fact_order.order_ts::date
        not between period.start_date and period.end_date
        -- incremental: and fact_order.order_id
        -- incremental:     in (select order_id from refresh_orders)
    union all
    select 'dim_customer.signup_date', dim_customer.customer_id,
        dim_customer.signup_date
    from dim_customer
    cross join period
    where dim_customer.signup_date
        not between period.start_date and period.end_date
        -- incremental: and dim_customer.customer_id
        -- incremental:     in (select customer_id from refresh_customers)
    union all
    select 'dim_date.full_date (first day)', null, calendar_span.first_date
    from calendar_span
    cross join period
    where calendar_span.first_date is distinct from period.start_date
    union all
    select 'dim_date.full_date (last day)', null, calendar_span.last_date
    from calendar_span
    cross join period
    where calendar_span.last_date is distinct from period.end_date
        or calendar_span.days <> period.end_date - period.start_date + 1
),

final as (
    select * from out_of_period
)

select * from final;

comment on view qc_dates_in_period is
    'order dates and signup dates lie in the data period (build_info '
    'start_date .. end_date), and dim_date holds each day of it once';


-- one revenue: every view that reports it agrees with the base tables
-- (the views are materialized: this also catches a view that is stale)
create view qc_revenue_reconciles as

with

order_lines as (
    select * from quality_order_lines
),

completed_orders as (
    select *
    from order_lines
    where order_status = 'completed'
),

base as (
    -- the base tables, totalled by quality_order_lines in this run
    select
        count(*) as orders,
        coalesce(sum(lines_net_amount), 0) as net_revenue,
        -- null when a cost is unknown
        case
            when count(lines_cost) = count(*)
                then coalesce(sum(lines_net_amount - lines_cost), 0)
        end as gross_margin
    from completed_orders
),

view_totals as (
    -- orders / gross_margin are null where the view has no such total
    -- (a margin total is null when one of its rows' margin is unknown)
    select
        'vw_daily_revenue' as view_name,
        sum(orders) as orders,
        sum(net_revenue) as net_revenue,
        true as has_margin,
        case
            when count(gross_margin) = count(*) then sum(gross_margin)
        end as gross_margin
    from vw_daily_revenue
    union all
    select 'vw_revenue_by_channel', sum(orders), sum(net_revenue), false,
        null
    from vw_revenue_by_channel
    union all
    select 'vw_revenue_by_category', null, sum(net_revenue), true,
        case when count(gross_margin) = count(*) then sum(gross_margin) end
    from vw_revenue_by_category
    union all
    select 'vw_category_margin_monthly', null, sum(net_revenue), true,
        case when count(gross_margin) = count(*) then sum(gross_margin) end
    from vw_category_margin_monthly
    union all
    select 'vw_customer_rfm_base', sum(frequency), sum(monetary), false,
        null
    from vw_customer_rfm_base
    union all
    select 'vw_customer_ltv_segments', sum(orders), sum(lifetime_revenue),
        false, null
    from vw_customer_ltv_segments
),

compared as (
    select
        view_totals.view_name,
        view_totals.orders,
        base.orders as base_orders,
        coalesce(view_totals.net_revenue, 0) as net_revenue,
        base.net_revenue as base_net_revenue,
        view_totals.has_margin,
        view_totals.gross_margin,
        base.gross_margin as base_gross_margin
    from view_totals
    cross join base
),

final as (
    select *
    from compared
    where net_revenue <> base_net_revenue
        or orders <> base_orders
        or (has_margin and gross_margin is distinct from base_gross_margin)
)

select * from final;

comment on view qc_revenue_reconciles is
    'net revenue (and completed orders and gross margin where the view has '
    'them) summed over each revenue view equals the base tables to the cent';


-- the lifetime value table holds the customers its models were fitted to
-- vw_customer_clv (written after the views by warehouse/clv_tables.py) has
-- one row per customer of int_clv_summary, with the same history, when
-- the models were fitted (clv_model_parameters has rows), and no row when
-- they could not be; compared by totals, each side summed on its own (on a
-- citus cluster the summary's customers are on the workers)
create view qc_customer_clv as

with

summary as (
    select * from int_clv_summary
),

customer_clv as (
    select * from vw_customer_clv
),

parameters as (
    select * from clv_model_parameters
),

summary_totals as (
    select
        count(*) as customers,
        coalesce(sum(frequency), 0) as frequency,
        coalesce(sum(holdout_purchases), 0) as holdout_purchases,
        coalesce(sum(recency), 0)::double precision as recency,
        coalesce(sum(tenure), 0)::double precision as tenure
    from summary
),

clv_totals as (
    select
        count(*) as customers,
        coalesce(sum(frequency), 0) as frequency,
        coalesce(sum(holdout_purchases), 0) as holdout_purchases,
        coalesce(sum(recency), 0) as recency,
        coalesce(sum(tenure), 0) as tenure,
        (select count(*) from parameters) > 0 as is_fitted
    from customer_clv
),

final as (
    select
        summary_totals.customers as summary_customers,
        clv_totals.customers as clv_customers,
        summary_totals.frequency as summary_frequency,
        clv_totals.frequency as clv_frequency,
        summary_totals.holdout_purchases as summary_holdout_purchases,
        clv_totals.holdout_purchases as clv_holdout_purchases,
        clv_totals.is_fitted
    from summary_totals
    cross join clv_totals
    where
        (
            clv_totals.is_fitted
            and (
                summary_totals.customers <> clv_totals.customers
                or summary_totals.frequency <> clv_totals.frequency
                or summary_totals.holdout_purchases
                <> clv_totals.holdout_purchases
                or abs(summary_totals.recency - clv_totals.recency)
                > 1e-6 * greatest(1, summary_totals.recency)
                or abs(summary_totals.tenure - clv_totals.tenure)
                > 1e-6 * greatest(1, summary_totals.tenure)
            )
        )
        or (not clv_totals.is_fitted and clv_totals.customers > 0)
)

select * from final;

comment on view qc_customer_clv is
    'vw_customer_clv holds every customer of int_clv_summary with the same '
    'frequency, recency, tenure and holdout purchases when the lifetime '
    'value models were fitted, and no customer when they were not';
