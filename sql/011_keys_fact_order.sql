-- keys of fact_order: its primary key and its natural key (see
-- 010_keys_dimensions.sql for the keys step).

alter table fact_order add primary key (order_id);
alter table fact_order add unique (order_number);
