-- int_clv_summary (a plain view, computed when read; an intermediate of
-- vw_customer_clv, not part of the views contract)
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

create view int_clv_summary as

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
    select
        info.end_date as holdout_end,
        info.end_date - 7 * settings.clv_holdout_weeks as calibration_end
    from info
    cross join settings
),

occasions as (
    -- one row per customer and day with a completed order
    select
        order_totals.customer_id,
        order_totals.order_date,
        sum(order_totals.net_amount) as occasion_value
    from order_totals
    where order_totals.order_status = 'completed'
    group by order_totals.customer_id, order_totals.order_date
),

firsts as (
    -- each occasion with its customer's first
    select
        occasions.*,
        min(occasions.order_date) over (
            partition by occasions.customer_id
        ) as first_day
    from occasions
),

customers as (
    select
        firsts.customer_id,
        firsts.first_day,
        period.calibration_end,
        period.holdout_end,
        count(*) filter (
            where firsts.order_date <= period.calibration_end
        ) - 1 as frequency,
        max(firsts.order_date) filter (
            where firsts.order_date <= period.calibration_end
        ) as last_day,
        count(*) filter (
            where firsts.order_date > period.calibration_end
            and firsts.order_date <= period.holdout_end
        ) as holdout_purchases,
        coalesce(avg(firsts.occasion_value) filter (
            where firsts.order_date <= period.calibration_end
            and firsts.order_date > firsts.first_day
        ), 0) as avg_value
    from firsts
    cross join period
    where firsts.first_day <= period.calibration_end
    group by
        firsts.customer_id,
        firsts.first_day,
        period.calibration_end,
        period.holdout_end
),

final as (
    select
        -- ids
        customer_id,
        -- the periods
        first_day,
        calibration_end,
        holdout_end,
        -- the models' inputs
        frequency,
        (last_day - first_day) / 7.0 as recency,
        (calibration_end - first_day) / 7.0 as tenure,
        avg_value,
        -- the holdout
        holdout_purchases
    from customers
)

select * from final;
