-- keys of fact_order: its primary key, its natural key and the one
-- secondary index (see 010_keys_dimensions.sql for the keys step).

alter table fact_order set (autovacuum_enabled = false);

-- primary key and natural key
alter table fact_order add primary key (order_id);
alter table fact_order add unique (order_number);

-- a customer's orders, for looking one customer up (a customer has a few
-- orders among millions); a line's customer is its order's
create index on fact_order (customer_id);
