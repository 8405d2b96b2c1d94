-- vw_revenue_by_category (materialized when the warehouse is built)
-- grain: one row per month of the data period x product category (every
-- category of dim_product; months without a sale show zeros).
-- purpose: what sells, month by month: orders, units, revenue and margin
-- by category.
-- (a cte read twice is "not materialized": postgresql would otherwise copy
-- every line before aggregating it)
-- definitions:
--   month        = first day of the calendar month of the order date
--   orders       = distinct completed orders with at least one line in the
--                  category (an order with lines in two categories counts
--                  in both, so orders do not add up across categories)
--   units        = sum(quantity) over those lines
--   net_revenue  = sum(fact_order_item.net_amount) over the lines of
--                  completed orders; tax and shipping excluded; range [0, inf)
--   cost         = sum(quantity * unit_cost), unit_cost at the time of sale
--   gross_margin = net_revenue - cost; range (-inf, net_revenue]

create materialized view vw_revenue_by_category as

with

dates as (
    select * from dim_date
),

products as (
    select * from dim_product
),

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

months as (
    select distinct make_date(year, month, 1) as month
    from dates
),

categories as (
    select distinct category
    from products
),

completed_orders as (
    select
        orders.order_id,
        make_date(dates.year, dates.month, 1) as month
    from orders
    inner join dates
        on orders.order_date_key = dates.date_key
    where orders.order_status = 'completed'
),

completed_lines as not materialized (
    select
        completed_orders.month,
        completed_orders.order_id,
        products.category,
        order_items.quantity,
        order_items.net_amount,
        order_items.quantity * order_items.unit_cost as cost
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
    inner join products
        on order_items.product_id = products.product_id
),

order_categories as (
    -- an order counts once per category, however many lines it has there
    select distinct
        month,
        category,
        order_id
    from completed_lines
),

category_orders as (
    select
        month,
        category,
        count(*) as orders
    from order_categories
    group by month, category
),

category_amounts as (
    select
        month,
        category,
        sum(quantity) as units,
        sum(net_amount) as net_revenue,
        sum(cost) as cost
    from completed_lines
    group by month, category
),

category_months as (
    select
        category_amounts.month,
        category_amounts.category,
        category_orders.orders,
        category_amounts.units,
        category_amounts.net_revenue,
        category_amounts.cost
    from category_amounts
    inner join category_orders
        on category_amounts.month = category_orders.month
        and category_amounts.category = category_orders.category
),

grid as (
    select
        months.month,
        categories.category
    from months
    cross join categories
),

final as (
    select
        -- keys
        grid.month,
        grid.category,
        -- counts
        coalesce(category_months.orders, 0) as orders,
        coalesce(category_months.units, 0) as units,
        -- amounts
        coalesce(category_months.net_revenue, 0.00) as net_revenue,
        coalesce(category_months.cost, 0.00) as cost,
        coalesce(category_months.net_revenue - category_months.cost, 0.00)
            as gross_margin
    from grid
    left join category_months
        on grid.month = category_months.month
        and grid.category = category_months.category
)

select * from final;

-- the grain, enforced
create unique index on vw_revenue_by_category (month, category);
