-- clv_model_parameters and vw_customer_clv: the customer lifetime value
-- models and what they predict for each customer (tables written by the
-- build, the import and a refresh after the views: datagen/warehouse/
-- clv_tables.py fits the models of datagen/models/clv.py to
-- int_clv_summary and fills them; empty when the data cannot carry a fit).
--
-- clv_model_parameters
-- grain: one row per model and parameter (model 'bg/nbd': r, alpha, a, b,
-- log_likelihood; model 'gamma-gamma': p, q, gamma, log_likelihood).
-- definitions:
--   value           = the maximum-likelihood estimate (BG/NBD: purchase
--                     rates Gamma(r, alpha), dropout after a repeat
--                     purchase Beta(a, b); Gamma-Gamma: spend per occasion
--                     Gamma(p, nu), nu Gamma(q, gamma))
--   time_unit       = the unit of alpha ('week', 7 days); blank where a
--                     parameter has none
--   calibration_end = the last day the models were fitted on
--   holdout_end     = the as-of date (the holdout is the days between)
--   customers       = customers fitted (Gamma-Gamma: those with a repeat
--                     purchase of positive value)
--   fitted_at       = when the fit was made
--
-- vw_customer_clv
-- grain: one row per customer of int_clv_summary (first purchase occasion
-- on or before calibration_end).
-- definitions (times in weeks; see int_clv_summary):
--   frequency, recency, tenure, holdout_purchases = int_clv_summary's
--   p_alive            = P(the customer is still active at calibration_end |
--                        frequency, recency, tenure); range [0, 1]
--   expected_purchases = expected repeat purchase occasions in the
--                        clv_horizon_days after calibration_end; range
--                        [0, inf)
--   expected_avg_value = expected value of one of the customer's future
--                        occasions (Gamma-Gamma); null without a
--                        Gamma-Gamma fit
--   predicted_clv      = expected_purchases * expected_avg_value,
--                        undiscounted; null without a Gamma-Gamma fit

create table clv_model_parameters (
    model           text             not null
        check (model in ('bg/nbd', 'gamma-gamma')),
    parameter       text             not null,
    value           double precision not null,
    time_unit       text             not null,
    calibration_end date             not null,
    holdout_end     date             not null
        check (holdout_end > calibration_end),
    customers       integer          not null check (customers > 0),
    fitted_at       timestamptz      not null default now(),
    primary key (model, parameter)
);

create table vw_customer_clv (
    customer_id        integer          primary key,
    frequency          integer          not null check (frequency >= 0),
    recency            double precision not null check (recency >= 0),
    tenure             double precision not null check (tenure >= recency),
    p_alive            double precision not null
        check (p_alive between 0 and 1),
    expected_purchases double precision not null
        check (expected_purchases >= 0),
    expected_avg_value double precision check (expected_avg_value >= 0),
    predicted_clv      double precision check (predicted_clv >= 0),
    holdout_purchases  integer          not null
        check (holdout_purchases >= 0)
);
