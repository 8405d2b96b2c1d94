-- vw_revenue_by_channel (materialized when the warehouse is built)
-- grain: one row per month of the data period x sales channel (every
-- channel of dim_channel; months without a completed order show zeros).
-- purpose: which channels bring the orders and the revenue, month by month.
-- definitions:
--   month           = first day of the calendar month of the order date
--   channel         = the order's channel_id (the channel the order was
--                     placed through, not the customer's acquisition channel)
--   orders          = completed orders (order_status = 'completed')
--   net_revenue     = sum(fact_order_item.net_amount) over completed orders;
--                     tax and shipping excluded; range [0, inf)
--   avg_order_value = net_revenue / orders, unrounded; NULL when orders = 0;
--                     range [0, inf)
-- (the counts and sums are int_channel_months', which a refresh keeps up
-- to date; here they meet the grid of every month and channel)

create materialized view vw_revenue_by_channel as

with

dates as (
    select * from dim_date
),

channels as (
    select * from dim_channel
),

channel_months as (
    select * from int_channel_months
),

months as (
    select distinct make_date(year, month, 1) as month
    from dates
),

grid as (
    select
        months.month,
        channels.channel_id,
        channels.channel_name,
        channels.channel_group
    from months
    cross join channels
),

final as (
    select
        -- keys
        grid.month,
        grid.channel_id,
        grid.channel_name,
        grid.channel_group,
        -- counts
        coalesce(channel_months.orders, 0) as orders,
        -- amounts
        coalesce(channel_months.net_revenue, 0.00) as net_revenue,
        channel_months.net_revenue
            / nullif(channel_months.orders, 0) as avg_order_value
    from grid
    left join channel_months
        on grid.month = channel_months.month
        and grid.channel_id = channel_months.channel_id
)

select * from final;

-- the grain, enforced
create unique index on vw_revenue_by_channel (month, channel_id);
