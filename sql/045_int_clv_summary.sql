-- int_clv_summary (a materialized view, made with the views and made again
-- in full by every refresh: every row moves with the as-of date; an
-- intermediate of vw_customer_clv, not part of the views contract)
-- grain: one row per customer whose first purchase occasion is on or before
-- the calibration end.
-- purpose: each customer's purchases as the BG/NBD and Gamma-Gamma models
-- read them (datagen/models/clv.py fits them on these rows and writes
-- vw_customer_clv and clv_model_parameters), with the definitions of
-- Fader, Hardie & Lee (2005), "Counting your customers the easy way".
-- definitions (times in weeks of 7 days):
--   as-of date       = build_info.end_date, the last day of the data
--   holdout_end      = the as-of date
--   calibration_end  = holdout_end - 7 * analysis_setting.clv_holdout_weeks
--                      days (the calibration runs to it, that day included;
--                      the holdout from the next day to holdout_end)
--   occasion         = a customer's day with at least one completed order
--                      (order_status = 'completed'); its value the sum of
--                      those orders' net amounts
--   frequency        = occasions in the calibration less the first (repeat
--                      purchases); range [0, inf)
--   recency          = (last occasion in the calibration - first occasion)
--                      / 7; range [0, tenure]; 0 when frequency = 0
--   tenure           = T: (calibration_end - first occasion) / 7 (the end
--                      day excluded: a first purchase on it has tenure 0);
--                      range [0, inf)
--   holdout_purchases = occasions after calibration_end up to holdout_end
--   avg_value        = mean value of the repeat occasions in the calibration
--                      (the first left out, as the Gamma-Gamma model reads
--                      it); 0 when frequency = 0

create materialized view int_clv_summary as

with

settings as (
    select * from analysis_setting
),

info as (
    select * from build_info
),

order_totals as (
    select * from int_order_totals
),

period as (
    -- one row (min: build_info and analysis_setting hold one row each; were
    -- there two, the quality gate names it, and this is not where it fails)
    select
        min(info.end_date) as holdout_end,
        min(info.end_date - 7 * settings.clv_holdout_weeks) as calibration_end
    from info
    cross join settings
),

days as (
    -- one row per completed order, in its customer's order of days: its
    -- customer's first day, and whether it opens an occasion (the first
    -- order of its day); one sort, the customers' days never hashed
    select
        order_totals.customer_id,
        order_totals.order_date,
        order_totals.net_amount,
        min(order_totals.order_date) over (
            partition by order_totals.customer_id
            order by order_totals.order_date
        ) as first_day,
        -- (the first order has no day before it: null, an opening)
        coalesce(order_totals.order_date <> lag(order_totals.order_date) over (
            partition by order_totals.customer_id
            order by order_totals.order_date
        ), true) as opens_occasion
    from order_totals
    where order_totals.order_status = 'completed'
),

customers as (
    -- (an occasion's value is the sum of its orders': the repeat occasions'
    -- mean is their orders' sum over their count, as avg() divides it;
    -- grouped by the customer alone, as the days come, the period's days
    -- as scalars)
    select
        days.customer_id,
        min(days.first_day) as first_day,
        count(*) filter (
            where days.opens_occasion
            and days.order_date <= (select period.calibration_end from period)
        ) - 1 as frequency,
        max(days.order_date) filter (
            where days.order_date <= (select period.calibration_end from period)
        ) as last_day,
        count(*) filter (
            where days.opens_occasion
            and days.order_date > (select period.calibration_end from period)
            and days.order_date <= (select period.holdout_end from period)
        ) as holdout_purchases,
        coalesce(sum(days.net_amount) filter (
            where days.order_date <= (select period.calibration_end from period)
            and days.order_date > days.first_day
        ) / nullif(count(*) filter (
            where days.opens_occasion
            and days.order_date <= (select period.calibration_end from period)
            and days.order_date > days.first_day
        ), 0), 0) as avg_value
    from days
    where days.first_day <= (select period.calibration_end from period)
    group by days.customer_id
),

final as (
    select
        -- ids
        customers.customer_id,
        -- the periods
        customers.first_day,
        period.calibration_end,
        period.holdout_end,
        -- the models' inputs
        customers.frequency,
        (customers.last_day - customers.first_day) / 7.0 as recency,
        (period.calibration_end - customers.first_day) / 7.0 as tenure,
        customers.avg_value,
        -- the holdout
        customers.holdout_purchases
    from customers
    cross join period
)

select * from final;

-- the grain, enforced
create unique index on int_clv_summary (customer_id);
