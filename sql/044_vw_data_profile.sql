-- vw_data_profile (a materialized view: one row, made with the views and
-- made again by every refresh, so that each chapter reads it at no cost at
-- any scale)
-- grain: exactly one row: the warehouse as a whole.
-- purpose: what the data knows and how much of it there is. Every chapter
-- of the book reads it and shows a section only where it meets what the
-- section needs (datagen/chapters/needs.py, book/guide/
-- what_the_book_shows.md); the introduction shows it whole.
-- definitions:
--   source             = 'generated' (build_info.seed is set) or 'imported'
--   refreshable        = a generated warehouse: datagen refresh brings it
--                        forward (an imported one has no later days)
--   known              = data_known as {capability: {known, how}}
--   unknown            = the capabilities data_known marks unknown, sorted
--   first_day,last_day = the data period: build_info.start_date and
--                        end_date (a generated shop's parameters, an
--                        import's first and last order day)
--   days               = last_day - first_day + 1; range [1, inf)
--   days_with_orders   = days with an order (any status); range [0, days]
--   weekdays           = days of the week with an order; range [0, 7]
--   has_times_of_day   = some order has a time of day other than midnight
--                        (else the source gave dates only):
--                        int_order_totals.has_time_of_day
--   whole_months       = calendar months every day of which is in the
--                        period; first_whole_month, last_whole_month the
--                        first and last of them (null without one)
--   partial_months     = calendar months the period covers in part;
--                        range [0, 2]
--   month_cycles       = the least number of whole months of one calendar
--                        month (January ... December): 2 when the period
--                        covers every calendar month whole twice or more;
--                        range [0, inf)
--   whole_quarters,
--   whole_years        = calendar quarters and years every day of which is
--                        in the period
--   years              = calendar years the period touches; range [1, inf)
--   orders             = orders of any status; completed_orders those
--                        completed
--   customers          = rows of dim_customer; buying_customers those with
--                        a completed order; repeat_customers those with
--                        two or more
--   multi_product_baskets = completed orders with two or more distinct
--                        products (int_order_totals.products >= 2)
--   products           = rows of dim_product; categories their distinct
--                        categories; channels the distinct channels of the
--                        orders
--   min_pair_orders    = analysis_setting.min_pair_orders: the least baskets
--                        a pair of products needs to be a pair
--   pairs              = rows of vw_pair_customers (pairs bought together
--                        in at least min_pair_orders baskets);
--                        max_pair_customers the most distinct customers
--                        behind one of them (0 without a pair)
--   clv_holdout_weeks  = analysis_setting.clv_holdout_weeks;
--                        clv_calibration_end = last_day - 7 *
--                        clv_holdout_weeks, the end of the customer
--                        lifetime value models' calibration
--   clv_customers      = customers whose first completed order is on or
--                        before clv_calibration_end (the rows of
--                        int_clv_summary: those the models are fitted
--                        to); clv_repeat_customers those with a second
--                        day of completed orders by then (a repeat
--                        purchase)

create materialized view vw_data_profile as

with

info as (
    select * from build_info
),

known_rows as (
    select * from data_known
),

settings as (
    select * from analysis_setting
),

order_totals as not materialized (
    -- (read by two steps: not materialized, so that on a citus cluster
    -- each step runs on the workers instead of the coordinator gathering
    -- the orders once for both)
    select * from int_order_totals
),

customer_orders as (
    select * from int_customer_orders
),

customers as (
    select * from dim_customer
),

products as (
    select * from dim_product
),

pair_customers as (
    select * from vw_pair_customers
),

clv_period as (
    -- one row (min: were build_info two rows, the quality gate names it; the
    -- profile is made by a refresh before the gate runs)
    select
        min(info.end_date - 7 * settings.clv_holdout_weeks) as clv_end
    from info
    cross join settings
),

period as (
    select
        start_date as first_day,
        end_date as last_day,
        seed is not null as generated
    from info
),

months as (
    -- one row per calendar month the period touches
    select
        months.month::date as month,
        months.month::date >= period.first_day
        and (months.month + interval '1 month - 1 day')::date
        <= period.last_day as is_whole
    from period
    cross join lateral generate_series(
        date_trunc('month', period.first_day),
        period.last_day,
        interval '1 month'
    ) as months (month)
),

calendar_months as (
    -- one row per calendar month of the year (1 to 12) the period touches
    select
        extract(month from month) as calendar_month,
        count(*) filter (where is_whole) as whole_months
    from months
    group by extract(month from month)
),

quarters as (
    select count(*) = 3 and bool_and(is_whole) as is_whole
    from months
    group by date_trunc('quarter', month)
),

years as (
    select count(*) = 12 and bool_and(is_whole) as is_whole
    from months
    group by date_trunc('year', month)
),

calendar as (
    select
        (select count(*) filter (where is_whole) from months)
            as whole_months,
        (select min(month) filter (where is_whole) from months)
            as first_whole_month,
        (select max(month) filter (where is_whole) from months)
            as last_whole_month,
        (select count(*) filter (where not is_whole) from months)
            as partial_months,
        (
            select
                case when count(*) = 12 then min(whole_months) else 0 end
            from calendar_months
        ) as month_cycles,
        (select count(*) filter (where is_whole) from quarters)
            as whole_quarters,
        (select count(*) filter (where is_whole) from years) as whole_years,
        (select count(*) from years) as years
),

order_days as (
    -- one row per day with an order
    select distinct order_date
    from order_totals
),

days as (
    select
        count(*) as days_with_orders,
        count(distinct extract(isodow from order_date)) as weekdays
    from order_days
),

channel_orders as (
    -- one row per channel with an order, its orders counted from their
    -- stored totals (no join with their lines: each order's products and
    -- time of day are columns of int_order_totals); grouped by channel, so
    -- that on a citus cluster each worker sends a row per channel
    select
        channel_id,
        count(*) as orders,
        count(*) filter (where order_status = 'completed')
            as completed_orders,
        count(*) filter (
            where order_status = 'completed' and products >= 2
        ) as multi_product_baskets,
        bool_or(has_time_of_day) as has_times_of_day
    from order_totals
    group by channel_id
),

order_counts as (
    select
        coalesce(sum(orders), 0)::bigint as orders,
        coalesce(sum(completed_orders), 0)::bigint as completed_orders,
        coalesce(sum(multi_product_baskets), 0)::bigint
            as multi_product_baskets,
        coalesce(bool_or(has_times_of_day), false) as has_times_of_day,
        count(*) as channels
    from channel_orders
),

customer_counts as (
    -- (one read of customer_orders: read twice, a cte is materialized, and
    -- on a citus cluster it would bring every customer's row together)
    select
        count(*) as buying_customers,
        count(*) filter (where frequency >= 2) as repeat_customers,
        -- the lifetime value models' customers, as int_clv_summary counts
        -- them, without its pass over the orders; the day as a scalar
        -- subquery, so each worker counts its own customers
        count(*) filter (
            where first_order_date
            <= (select clv_period.clv_end from clv_period)
        ) as clv_customers,
        count(*) filter (
            where second_order_date
            <= (select clv_period.clv_end from clv_period)
        ) as clv_repeat_customers
    from customer_orders
),

pair_counts as (
    -- (one read of pair_customers: read twice, a cte is materialized)
    select
        count(*) as pairs,
        coalesce(max(customers), 0) as max_pair_customers
    from pair_customers
),

knowledge as (
    select
        coalesce(
            jsonb_object_agg(
                capability, jsonb_build_object('known', known, 'how', how)
            ),
            '{}'::jsonb
        ) as known,
        coalesce(
            array_agg(capability order by capability) filter (
                where not known
            ),
            '{}'::text []
        ) as unknown
    from known_rows
),

final as (
    select
        -- the source
        case when period.generated then 'generated' else 'imported' end
            as source,
        period.generated as refreshable,
        knowledge.known,
        knowledge.unknown,
        -- time
        period.first_day,
        period.last_day,
        period.last_day - period.first_day + 1 as days,
        days.days_with_orders,
        days.weekdays,
        order_counts.has_times_of_day,
        calendar.whole_months,
        calendar.first_whole_month,
        calendar.last_whole_month,
        calendar.partial_months,
        calendar.month_cycles,
        calendar.whole_quarters,
        calendar.whole_years,
        calendar.years,
        -- orders and customers
        order_counts.orders,
        order_counts.completed_orders,
        (select count(*) from customers) as customers,
        customer_counts.buying_customers,
        customer_counts.repeat_customers,
        order_counts.multi_product_baskets,
        -- products, channels and pairs
        (select count(*) from products) as products,
        (select count(distinct products.category) from products)
            as categories,
        order_counts.channels,
        (select settings.min_pair_orders from settings) as min_pair_orders,
        pair_counts.pairs,
        pair_counts.max_pair_customers,
        -- customer lifetime value
        (select settings.clv_holdout_weeks from settings)
            as clv_holdout_weeks,
        (select clv_period.clv_end from clv_period) as clv_calibration_end,
        customer_counts.clv_customers,
        customer_counts.clv_repeat_customers
    from period
    cross join calendar
    cross join days
    cross join order_counts
    cross join customer_counts
    cross join pair_counts
    cross join knowledge
)

select * from final;
