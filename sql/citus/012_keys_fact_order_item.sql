-- keys of fact_order_item on a citus cluster, in place of
-- ../012_keys_fact_order_item.sql (see ../010_keys_dimensions.sql for the
-- keys step).
-- fact_order_item is distributed by customer_id, co-located with
-- fact_order: its primary key holds customer_id, and the quality gate checks
-- that (order_id, line_number) is unique across the cluster
-- (../091_quality_unique_keys.sql).

alter table fact_order_item
    add primary key (customer_id, order_id, line_number);
