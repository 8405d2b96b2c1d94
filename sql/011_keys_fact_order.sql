-- keys of fact_order: its primary key, its natural key, and the key the
-- lines' foreign key points to (see 010_keys_dimensions.sql for the keys
-- step).
-- (order_id, customer_id) is unique because order_id is: it is the key a
-- line's (order_id, customer_id) references, the same foreign key on one
-- node as on a citus cluster, where the facts are distributed by customer_id
-- and every key between them must include it (sql/citus/).

alter table fact_order add primary key (order_id);
alter table fact_order add unique (order_number);
alter table fact_order add unique (order_id, customer_id);
-- the orders returned and those cancelled, each with the time it was
-- placed: the kpi dashboard counts the late statuses since a refresh from
-- these few rows (partial: an order neither returned nor cancelled is in
-- neither)
create index on fact_order (returned_ts) include (order_ts)
where returned_ts is not null;
create index on fact_order (cancelled_ts) include (order_ts)
where cancelled_ts is not null;
