-- keys of fact_order on a citus cluster, in place of
-- ../011_keys_fact_order.sql (see ../010_keys_dimensions.sql for the keys
-- step).
-- fact_order is distributed by customer_id: citus enforces a primary or
-- unique key only when it includes the distribution column, so each key
-- holds customer_id, and the quality gate checks that order_id and
-- order_number are unique across the cluster
-- (../091_quality_unique_keys.sql). one constraint per alter table: citus
-- refuses several at once.

alter table fact_order add primary key (customer_id, order_id);
alter table fact_order add unique (customer_id, order_number);
-- the orders returned and those cancelled, each with the time it was
-- placed: the kpi dashboard counts the late statuses since a refresh from
-- these few rows (partial: an order neither returned nor cancelled is in
-- neither)
create index on fact_order (returned_ts) include (order_ts)
where returned_ts is not null;
create index on fact_order (cancelled_ts) include (order_ts)
where cancelled_ts is not null;
