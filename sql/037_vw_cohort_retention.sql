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
-- (the counts come from int_cohort_activity, which a refresh keeps up to
-- date: a cohort's size is its count in its own month, in which each of
-- its customers bought; the last month from int_order_totals)

create materialized view vw_cohort_retention as

with

order_totals as (
    select * from int_order_totals
),

cohort_activity as (
    select * from int_cohort_activity
),

data_end as (
    -- (the last order date, through its index)
    select date_trunc('month', max(order_date))::date as last_month
    from order_totals
),

cohort_sizes as (
    select
        cohort_month,
        active_customers as cohort_size
    from cohort_activity
    where activity_month = cohort_month
),

activity as (
    select
        cohort_month,
        activity_month,
        active_customers
    from cohort_activity
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
