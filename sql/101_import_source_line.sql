-- source_line: what became of each data line of the source.
-- grain: one row per data line (line_no from 1).
-- outcome = 'imported' (it is the fact_order_item row order_number,
-- line_number) or 'rejected' (reason says why). the first rule that a line
-- breaks is its reason, in this order: no order number, no product code,
-- not a product, no customer (when the mapping rejects those), quantity
-- zero, negative quantity outside a return, positive quantity in a return,
-- price (rounded to the cent) zero or less (when the mapping rejects
-- those), price below zero (when it keeps zero prices: the warehouse's
-- amounts are zero or more), cost below zero, an exact repeat of an earlier
-- line of the same order (when the mapping rejects those). an imported
-- line's line_number is its place among its order's imported lines, in
-- source order.

create table source_line as

with

line_values as (
    select * from source_line_value
),

settings as (
    select * from import_setting
),

repeats as (
    select
        line_values.*,
        first_value(line_values.line_no) over (
            partition by line_values.line_key
            order by line_values.line_no
        ) as first_line_no
    from line_values
),

judged as (
    select
        repeats.line_no,
        repeats.order_number,
        case
            when repeats.order_number is null then 'no order number'
            when repeats.sku is null then 'no product code'
            when repeats.not_product
                then 'not a product (' || repeats.sku || ')'
            when repeats.customer_code is null
                and settings.missing_customer = 'reject'
                then 'no customer'
            when repeats.quantity = 0 then 'quantity is zero'
            when repeats.quantity < 0 and not repeats.is_returned
                then 'negative quantity outside a return'
            when repeats.quantity > 0 and repeats.is_returned
                then 'positive quantity in a return'
            when round(repeats.unit_price, 2) <= 0
                and settings.zero_price = 'reject'
                then 'price is zero or less'
            when round(repeats.unit_price, 2) < 0 then 'price is below zero'
            when round(repeats.unit_cost, 2) < 0 then 'cost is below zero'
            when repeats.first_line_no < repeats.line_no
                and settings.duplicates = 'reject'
                then 'repeat of line ' || repeats.first_line_no
        end as reason
    from repeats
    cross join settings
),

numbered as (
    select
        judged.line_no,
        row_number() over (
            partition by judged.order_number
            order by judged.line_no
        ) as line_number
    from judged
    where judged.reason is null
),

final as (
    select
        -- ids
        judged.line_no,
        -- what became of it
        case
            when judged.reason is null then 'imported' else 'rejected'
        end as outcome,
        judged.reason,
        -- the fact_order_item row it became (an integer here: an order of
        -- more lines than its smallint holds is refused after this, by
        -- warehouse/import_build.py check_judged, in one line)
        case
            when judged.reason is null then judged.order_number
        end as order_number,
        numbered.line_number::integer as line_number
    from judged
    left join numbered
        on judged.line_no = numbered.line_no
)

select * from final
order by line_no;

alter table source_line add primary key (line_no);
alter table source_line add constraint source_line_outcome_values
    check (outcome in ('imported', 'rejected'));
alter table source_line add constraint source_line_reason_when_rejected
    check ((outcome = 'rejected') = (reason is not null));
