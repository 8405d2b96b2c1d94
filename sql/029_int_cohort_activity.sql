-- int_cohort_activity (a table made when the warehouse is built and kept up
-- to date by a refresh, by addition; an intermediate of
-- vw_cohort_retention, not part of the views contract)
-- grain: one row per cohort month x activity month in which at least one
-- customer of the cohort has a completed order.
-- purpose: how many customers of each cohort bought in each month, in
-- counts that a refresh can add to.
-- definitions:
--   cohort_month     = month of the customer's first completed order
--   activity_month   = a calendar month in which the customer has at least
--                      one completed order (the cohort month is one)
--   active_customers = customers of the cohort active in activity_month;
--                      where activity_month = cohort_month, the cohort's
--                      size
--   sign             = +1 for each customer counted; in a refresh, each
--                      customer of refresh_orders twice: +1 with their
--                      completed orders now, -1 with those completed before
--                      the refresh (the orders of refresh_orders that
--                      were_completed, and their other orders, which did
--                      not change), so that the query gives the change of
--                      each row (a customer whose first order was
--                      cancelled moves to a later cohort)
-- (one pass over int_order_totals through its customer index: each
-- customer's months, and their first one, per sign)

-- incremental add: cohort_month, activity_month
-- incremental empty: active_customers = 0

create table int_cohort_activity as

with

order_totals as not materialized (
    -- (read twice in a refresh: each time through its customer index)
    select * from int_order_totals
),

counted_orders as (
    -- one row per order counted, with its customer's sign
    select
        customer_id,
        order_month,
        1 as sign
    from order_totals
    where order_status = 'completed'
    -- incremental: and customer_id in (select customer_id from refresh_orders)
    -- incremental: union all
    -- incremental: select
    -- incremental:     order_totals.customer_id,
    -- incremental:     order_totals.order_month,
    -- incremental:     -1 as sign
    -- incremental: from order_totals
    -- incremental: left join refresh_orders
    -- incremental:     on order_totals.order_id = refresh_orders.order_id
    -- incremental: where
    -- incremental:     order_totals.customer_id
    -- incremental:     in (select customer_id from refresh_orders)
    -- incremental:     and coalesce(
    -- incremental:         refresh_orders.was_completed,
    -- incremental:         order_totals.order_status = 'completed'
    -- incremental:     )
),

customer_months as (
    -- one row per customer, sign and month with a completed order
    select
        customer_id,
        sign,
        order_month
    from counted_orders
    group by customer_id, sign, order_month
),

cohort_months as (
    -- each with the customer's first month, their cohort (a window by
    -- customer: on citus each worker finds its own customers' cohorts)
    select
        sign,
        order_month,
        min(order_month) over (partition by customer_id, sign)
            as cohort_month
    from customer_months
),

final as (
    select
        -- keys
        cohort_month,
        order_month as activity_month,
        -- counts
        sum(sign) as active_customers
    from cohort_months
    group by cohort_month, order_month
)

select * from final;

-- the grain, enforced
create unique index on int_cohort_activity (cohort_month, activity_month);
