-- quality checks of what changes with time: the customers' type-2 history
-- and the orders' status changes.
-- grain: each qc_ view holds one row per violation (no row: it passes).
-- definitions:
--   a customer's versions (dim_customer_history) are valid from valid_from
--     (inclusive) to valid_to (exclusive; null: still valid). ordered by
--     valid_from they must tile the time from the customer's sign-up date:
--     the first from signup_date, each next one from its predecessor's
--     valid_to (no overlap, no gap), the last one open and current
--   the as-of date = build_info.end_date: every status change happened by
--     the end of it
-- in a refresh the checks read only the customers and orders it added or
-- changed ("-- incremental:" lines, as in 090)

create view qc_customer_history_no_overlap as

with

history as (
    select * from dim_customer_history
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

ordered as (
    select
        customer_id,
        customer_version,
        valid_from,
        valid_to,
        lead(valid_from) over (
            partition by customer_id order by valid_from
        ) as next_valid_from
    from history
),

final as (
    select *
    from ordered
    where next_valid_from < coalesce(valid_to, 'infinity'::date)
)

select * from final;

comment on view qc_customer_history_no_overlap is
    'no two versions of a customer (dim_customer_history) are valid on the '
    'same day';


create view qc_customer_history_no_gap as

with

history as (
    select * from dim_customer_history
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

customers as (
    select * from dim_customer
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

ordered as (
    select
        customer_id,
        customer_version,
        valid_from,
        valid_to,
        lag(valid_to) over (
            partition by customer_id order by valid_from
        ) as previous_valid_to,
        row_number() over (
            partition by customer_id order by valid_from
        ) as position,
        count(*) over (partition by customer_id) as versions
    from history
),

final as (
    select
        ordered.customer_id,
        ordered.customer_version,
        ordered.valid_from,
        ordered.valid_to,
        ordered.previous_valid_to
    from ordered
    inner join customers
        on ordered.customer_id = customers.customer_id
    where (ordered.position = 1
            and ordered.valid_from <> customers.signup_date)
        or ordered.valid_from > ordered.previous_valid_to
        or (ordered.position = ordered.versions
            and ordered.valid_to is not null)
)

select * from final;

comment on view qc_customer_history_no_gap is
    'each customer''s versions run without a gap from the sign-up date to '
    'an open last version';


create view qc_customer_history_one_current as

with

history as (
    select * from dim_customer_history
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

customers as (
    select * from dim_customer
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

current_rows as (
    select
        customers.customer_id,
        count(history.customer_id) filter (
            where history.is_current
        ) as current_versions
    from customers
    left join history
        on customers.customer_id = history.customer_id
    group by customers.customer_id
),

final as (
    select *
    from current_rows
    where current_versions <> 1
)

select * from final;

comment on view qc_customer_history_one_current is
    'every customer has exactly one current version in '
    'dim_customer_history';


create view qc_customer_history_matches_current as

with

history as (
    select * from dim_customer_history
    where is_current
    -- incremental: and customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

customers as (
    select * from dim_customer
    -- incremental: where customer_id
    -- incremental:     in (select customer_id from refresh_customers)
),

final as (
    select
        customers.customer_id,
        customers.email,
        history.email as history_email,
        customers.city,
        history.city as history_city
    from customers
    inner join history
        on customers.customer_id = history.customer_id
    where (
        customers.customer_code,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.city,
        customers.region,
        customers.country,
        customers.signup_date,
        customers.acquisition_channel_id
    ) is distinct from (
        history.customer_code,
        history.first_name,
        history.last_name,
        history.email,
        history.city,
        history.region,
        history.country,
        history.signup_date,
        history.acquisition_channel_id
    )
)

select * from final;

comment on view qc_customer_history_matches_current is
    'each customer''s current version in dim_customer_history is the '
    'customer as dim_customer holds them';


create view qc_status_changes_by_as_of as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

as_of as (
    select end_date + 1 as day_after
    from build_info
),

final as (
    select
        orders.order_id,
        orders.order_status,
        orders.cancelled_ts,
        orders.returned_ts
    from orders
    cross join as_of
    where orders.cancelled_ts >= as_of.day_after
        or orders.returned_ts >= as_of.day_after
)

select * from final;

comment on view qc_status_changes_by_as_of is
    'every cancellation and return happened by the end of the as-of date '
    '(build_info.end_date)';
