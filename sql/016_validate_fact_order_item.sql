-- validate fact_order_item's foreign keys against every loaded row
-- (beside 015: see there).

alter table fact_order_item validate constraint fact_order_item_order_id_fkey;
alter table fact_order_item
    validate constraint fact_order_item_customer_id_fkey;
alter table fact_order_item
    validate constraint fact_order_item_order_date_key_fkey;
alter table fact_order_item
    validate constraint fact_order_item_product_id_fkey;
