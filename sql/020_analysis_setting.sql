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

create table analysis_setting (
    -- one row only: the key can hold nothing but true
    is_current      boolean     not null default true
        primary key check (is_current),
    -- thresholds
    min_pair_orders integer     not null check (min_pair_orders >= 1)
);
