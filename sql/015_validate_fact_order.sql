-- validate fact_order's foreign keys against every loaded row, then its
-- one secondary index.
-- (validating takes a lock on this table that lets the referenced tables
-- be read and validated at the same time: 016 runs beside this file)

alter table fact_order validate constraint fact_order_customer_id_fkey;
alter table fact_order validate constraint fact_order_channel_id_fkey;
alter table fact_order validate constraint fact_order_order_date_key_fkey;

-- a customer's orders, for looking one customer up (a customer has a few
-- orders among millions); a line's customer is its order's
create index on fact_order (customer_id);
