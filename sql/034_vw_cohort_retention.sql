-- vw_cohort_retention (materialized when the warehouse is built)
-- grain: one row per cohort month x month offset, dense: every offset from
-- 0 up to the last month of data is present, zero cells included.
-- purpose: how many customers of each birth cohort come back to buy.
-- definitions:
--   cohort_month       = month of the customer's first completed order
--   last month of data = month of the last order in the data (any status)
--   months_since_first = whole calendar months from cohort_month;
--                        range [0, months from cohort_month to last month]
--   activity_month     = cohort_month + months_since_first
--   cohort_size        = customers in the cohort; range [1, inf)
--   active_customers   = customers of the cohort with at least one completed
--                        order in activity_month; range [0, cohort_size]
--   retention_rate     = active_customers / cohort_size, a fraction,
--                        unrounded; 1 at offset 0; range [0, 1]
-- (each customer's cohort comes from int_customer_orders, the months in
-- which they bought from int_customer_months, and the last month from
-- int_order_totals: a refresh keeps the three up to date)

create materialized view vw_cohort_retention as

with

order_totals as (
    select * from int_order_totals
),

customer_cohorts as (
    select
        customer_id,
        cohort_month
    from int_customer_orders
),

completed_order_months as (
    select * from int_customer_months
),

data_end as (
    -- (the last order date, through its index)
    select date_trunc('month', max(order_date))::date as last_month
    from order_totals
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from customer_cohorts
    group by cohort_month
),

activity as (
    -- counted by calendar month; the offset is computed on the grid below
    select
        customer_cohorts.cohort_month,
        completed_order_months.order_month as activity_month,
        count(*) as active_customers
    from completed_order_months
    inner join customer_cohorts
        on completed_order_months.customer_id = customer_cohorts.customer_id
    group by customer_cohorts.cohort_month, completed_order_months.order_month
),

grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        offsets.months_since_first,
        (cohort_sizes.cohort_month
            + make_interval(months => offsets.months_since_first))::date
            as activity_month
    from cohort_sizes
    cross join data_end
    cross join lateral generate_series(
        0,
        (
            (extract(year from data_end.last_month)
                - extract(year from cohort_sizes.cohort_month)) * 12
            + extract(month from data_end.last_month)
            - extract(month from cohort_sizes.cohort_month)
        )::integer
    ) as offsets (months_since_first)
),

final as (
    select
        -- keys
        grid.cohort_month,
        grid.months_since_first,
        grid.activity_month,
        -- counts
        grid.cohort_size,
        coalesce(activity.active_customers, 0) as active_customers,
        -- rates
        coalesce(activity.active_customers, 0)::double precision
            / nullif(grid.cohort_size, 0) as retention_rate
    from grid
    left join activity
        on grid.cohort_month = activity.cohort_month
        and grid.activity_month = activity.activity_month
)

select * from final;

-- the grain, enforced
create unique index on vw_cohort_retention (cohort_month, months_since_first);
