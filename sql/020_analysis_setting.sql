-- analysis_setting: the settings the analytic views read.
-- grain: exactly one row, written by the build from its parameters
-- (datagen/params.py) before the views are created.
-- purpose: keeps thresholds that are build parameters out of the view text,
-- so that the same sql files serve every build.
-- definitions:
--   min_pair_orders: the least number of completed orders (baskets) that
--     two products must share for vw_product_pairs and
--     vw_product_association_rules to hold them; range [1, 2^31 - 1];
--     parameter min_pair_orders, default 5.
--   min_pair_orders_kept: the least number of baskets a pair needs to be
--     kept in int_product_pairs, at most min_pair_orders: 1 (every pair) in
--     a generated warehouse, so that a refresh can add to any pair;
--     min_pair_orders in an imported one (never refreshed; its thousands of
--     products make millions of pairs), lowered with min_pair_orders when
--     the views are recomputed with a lower threshold.
--   clv_holdout_weeks: the customer lifetime value models' holdout: their
--     calibration period ends this many weeks (7 days each) before the
--     as-of date (build_info.end_date); range [1, 1044]; parameter
--     clv_holdout_weeks, default 52.
--   clv_horizon_days: the days ahead of the as-of date that
--     vw_customer_clv's expected purchases and predicted value cover;
--     range [1, 7305]; parameter clv_horizon_days, default 90.

create table analysis_setting (
    -- one row only: the key can hold nothing but true
    is_current      boolean     not null default true
        primary key check (is_current),
    -- thresholds
    min_pair_orders integer     not null check (min_pair_orders >= 1),
    min_pair_orders_kept integer not null
        check (min_pair_orders_kept between 1 and min_pair_orders),
    -- customer lifetime value
    clv_holdout_weeks integer   not null
        check (clv_holdout_weeks between 1 and 1044),
    clv_horizon_days integer    not null
        check (clv_horizon_days between 1 and 7305)
);
