-- vw_daily_revenue (a table made when the warehouse is built and kept up
-- to date by a refresh, day by day)
-- grain: one row per day of the data period (every row of dim_date); days
-- without a completed order are present with zeros.
-- purpose: the daily pulse of the shop: completed orders, customers, units,
-- net revenue and gross margin.
-- definitions:
--   orders       = completed orders (order_status = 'completed') that day
--   customers    = distinct customers with a completed order that day
--   units        = sum(quantity) over the lines of those orders
--   net_revenue  = sum(fact_order_item.net_amount) over completed orders;
--                  tax and shipping excluded; range [0, inf)
--   gross_margin = net_revenue - sum(quantity * unit_cost), unit_cost at the
--                  time of sale (the line's); range (-inf, net_revenue];
--                  null when a cost is unknown (a day without orders: 0
--                  when every cost of the shop is known, else null)
-- (the lines are summed per order once, in int_order_totals)

-- incremental delete: order_date in (select order_date from refresh_days)
-- (a refresh makes again its new days and the days of the orders whose
-- status changed)

create table vw_daily_revenue as

with

dates as (
    select * from dim_date
    -- incremental: where full_date in (select order_date from refresh_days)
),

order_totals as (
    select * from int_order_totals
),

completed_orders as (
    select *
    from order_totals
    where order_status = 'completed'
    -- incremental: and order_date in (select order_date from refresh_days)
),

days as (
    select
        order_date_key,
        count(*) as orders,
        count(distinct customer_id) as customers,
        sum(units)::bigint as units,  -- a sum of bigint is numeric
        sum(net_amount) as net_revenue,
        -- null when an order's cost is unknown
        case when count(cost) = count(*) then sum(cost) end as cost
    from completed_orders
    group by order_date_key
),

costs as (
    -- a day without orders has a margin of zero when the shop's costs are
    -- known, and an unknown one when they are not (an imported shop
    -- without costs): never a made-up zero
    select coalesce(bool_and(cost is not null), true) as known
    from days
),

final as (
    select
        -- dates
        dates.full_date as order_date,
        -- counts
        coalesce(days.orders, 0) as orders,
        coalesce(days.customers, 0) as customers,
        coalesce(days.units, 0) as units,
        -- amounts
        coalesce(days.net_revenue, 0.00) as net_revenue,
        case
            when days.order_date_key is not null
                then days.net_revenue - days.cost
            when costs.known then 0.00
        end as gross_margin
    from dates
    left join days
        on dates.date_key = days.order_date_key
    cross join costs
)

select * from final;

-- the grain, enforced
create unique index on vw_daily_revenue (order_date);
