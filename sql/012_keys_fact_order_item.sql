-- keys of fact_order_item: its primary key (see 010_keys_dimensions.sql
-- for the keys step).

alter table fact_order_item add primary key (order_id, line_number);
