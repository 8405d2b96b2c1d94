-- vw_revenue_by_category (materialized when the warehouse is built)
-- grain: one row per month of the data period x product category (every
-- category of dim_product; months without a sale show zeros).
-- purpose: what sells, month by month: orders, units, revenue and margin
-- by category.
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
-- (the counts and sums are those of the category's products in
-- int_product_months, which a refresh keeps up to date; here they meet the
-- grid of every month and category)

create materialized view vw_revenue_by_category as

with

dates as (
    select * from dim_date
),

products as (
    select * from dim_product
),

product_months as (
    select * from int_product_months
),

category_months as (
    -- one row per month x category with a sale: its products' rows summed
    select
        product_months.month,
        products.category,
        sum(product_months.category_orders) as orders,
        sum(product_months.units) as units,
        sum(product_months.net_revenue) as net_revenue,
        sum(product_months.cost) as cost,
        sum(product_months.lines_cost_unknown) as lines_cost_unknown
    from product_months
    inner join products
        on product_months.product_id = products.product_id
    group by product_months.month, products.category
),

months as (
    select distinct make_date(year, month, 1) as month
    from dates
),

categories as (
    select distinct category
    from products
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
        -- null when a line's cost is unknown
        case
            when category_months.month is null then 0.00
            when category_months.lines_cost_unknown = 0
                then category_months.cost
        end as cost,
        case
            when category_months.month is null then 0.00
            when category_months.lines_cost_unknown = 0
                then category_months.net_revenue - category_months.cost
        end as gross_margin
    from grid
    left join category_months
        on grid.month = category_months.month
        and grid.category = category_months.category
)

select * from final;

-- the grain, enforced
create unique index on vw_revenue_by_category (month, category);
