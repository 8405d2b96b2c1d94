-- source_line: what became of each data line of the source, and its
-- amounts.
-- grain: one row per data line (line_no from 1).
-- outcome = 'imported' (it is the fact_order_item row order_number,
-- line_number) or 'rejected' (reason says why). the first rule that a line
-- breaks is its reason, in this order: no order number, no product code,
-- not a product, a status the mapping does not list (when it lists the
-- completed ones), no customer (when the mapping rejects those), no order
-- time, quantity zero, negative quantity outside a return, positive
-- quantity in a return, no price, price zero or less (when the mapping
-- rejects those and the source has prices), price below zero, a line
-- total above quantity times price, a discount above the line's amount,
-- cost below zero, an exact repeat of an earlier line of the same order
-- (when the mapping rejects those). an imported line's line_number is its
-- place among its order's imported lines, in source order.
-- definitions (money numeric(12,2) in the warehouse; here unbounded):
--   a return's line (rules.returned_when) has its quantity and its line
--     amounts made positive: quantity = |quantity|
--   unit_price: the source's unit price rounded to the cent; else, from
--     line amounts, the line's amount before discount (line_subtotal, or
--     line_total + line_discount, or line_total / (1 - discount_rate), or
--     line_total) divided by the quantity and rounded up to the cent;
--     0.00 when the source has no price (a placeholder)
--   net_amount = quantity * unit_price - discount_amount; with a line
--     total it is the total rounded to the cent, and discount_amount the
--     difference (the source's discount and the cents of rounding the
--     unit price up, so never below zero); else discount_amount is the
--     source's discount rounded to the cent (line_discount, or
--     quantity * unit_price * discount_rate), or 0.00
--   unit_cost: the source's unit cost rounded to the cent, or line_cost /
--     quantity, or (net_amount - profit) / quantity, rounded to the cent
--   order_status: returned (a return's line, or a status listed as
--     returned), cancelled (rules.cancelled_when, or a status listed as
--     cancelled), else completed

create table source_line as

with

line_values as (
    -- the lines of one part of the orders: a build judges its orders in
    -- parts side by side (warehouse/import_build.py sets the two numbers,
    -- a part per session; alone the file judges them all). An order's lines
    -- are all in one part, and so are a line and its exact repeats, which
    -- have the same order number (the hash widened before abs: the
    -- abs of the smallest integer is out of the integer range)
    select *
    from source_line_value
    where
        abs(hashtext(coalesce(order_number, ''))::bigint)
        % coalesce(current_setting('datagen.parts', true), '1')::integer
        = coalesce(current_setting('datagen.part', true), '0')::integer
),

settings as (
    select * from import_setting
),

statuses as (
    select * from import_status
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

classified as (
    select
        repeats.*,
        statuses.status as listed_status,
        settings.prices,
        settings.zero_price,
        settings.missing_customer,
        settings.duplicates,
        settings.status_other,
        abs(repeats.quantity) as units,
        case when repeats.is_returned then -1 else 1 end as sign
    from repeats
    cross join settings
    left join statuses
        on lower(repeats.status) = statuses.value
),

gross as (
    select
        classified.*,
        case
            when classified.line_subtotal is not null
                then classified.sign * classified.line_subtotal
            when classified.line_total is null then null
            when classified.line_discount is not null
                then classified.sign
                * (classified.line_total + classified.line_discount)
            when classified.discount_rate is null
                then classified.sign * classified.line_total
            when classified.discount_rate < 1
                then classified.sign * classified.line_total
                / (1 - classified.discount_rate)
        end as gross_amount,
        case
            when classified.line_total is not null
                then round(classified.sign * classified.line_total, 2)
            when classified.line_subtotal is null then null
            when classified.line_discount is not null
                then round(classified.sign * (
                    classified.line_subtotal - classified.line_discount
                ), 2)
            when classified.discount_rate is not null
                then round(classified.sign * classified.line_subtotal
                    * (1 - classified.discount_rate), 2)
            else round(classified.sign * classified.line_subtotal, 2)
        end as net_given
    from classified
),

priced as (
    select
        gross.*,
        case
            when gross.prices = 'none' then 0.00
            when gross.unit_price is not null then round(gross.unit_price, 2)
            when gross.units > 0
                then ceil(gross.gross_amount * 100 / gross.units) / 100
        end as price
    from gross
),

discounted as (
    select
        priced.*,
        case
            when priced.net_given is not null
                then priced.units * priced.price - priced.net_given
            when priced.line_discount is not null
                then round(priced.sign * priced.line_discount, 2)
            when priced.discount_rate is not null
                then round(
                    priced.units * priced.price * priced.discount_rate, 2
                )
            else 0.00
        end as discount
    from priced
),

costed as (
    select
        discounted.*,
        discounted.units * discounted.price - discounted.discount as net,
        case
            when discounted.unit_cost is not null
                then round(discounted.unit_cost, 2)
            when discounted.units = 0 then null
            when discounted.line_cost is not null
                then round(discounted.sign * discounted.line_cost
                    / discounted.units, 2)
            when discounted.profit is not null
                then round((discounted.units * discounted.price
                    - discounted.discount
                    - discounted.sign * discounted.profit)
                / discounted.units, 2)
        end as cost
    from discounted
),

judged as (
    select
        costed.line_no,
        costed.order_number,
        costed.units,
        costed.price,
        costed.discount,
        costed.net,
        costed.cost,
        case
            when costed.is_returned then 'returned'
            when costed.is_cancelled then 'cancelled'
            else coalesce(costed.listed_status, 'completed')
        end as order_status,
        case
            when costed.order_number is null then 'no order number'
            when costed.sku is null then 'no product code'
            when costed.not_product
                then 'not a product (' || costed.sku || ')'
            when costed.status_other = 'reject'
                and costed.listed_status is null
                and not (costed.is_returned or costed.is_cancelled)
                then 'status not listed ('
                || coalesce(costed.status, 'none') || ')'
            when costed.customer_code is null
                and costed.missing_customer = 'reject'
                then 'no customer'
            when costed.order_ts is null then 'no order time'
            when costed.quantity = 0 then 'quantity is zero'
            when costed.quantity < 0 and not costed.is_returned
                then 'negative quantity outside a return'
            when costed.quantity > 0 and costed.is_returned
                then 'positive quantity in a return'
            when costed.price is null then 'no price'
            when costed.price <= 0
                and costed.zero_price = 'reject'
                and costed.prices != 'none'
                then 'price is zero or less'
            when costed.price < 0 then 'price is below zero'
            when costed.discount < 0
                then 'line total above quantity times price'
            when costed.net < 0 then 'discount above the line amount'
            when costed.cost < 0 then 'cost is below zero'
            when costed.first_line_no < costed.line_no
                and costed.duplicates = 'reject'
                then 'repeat of line ' || costed.first_line_no
        end as reason
    from costed
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
        numbered.line_number::integer as line_number,
        -- its amounts, as the warehouse holds them
        judged.units as quantity,
        judged.price as unit_price,
        judged.discount as discount_amount,
        judged.net as net_amount,
        judged.cost as unit_cost,
        judged.order_status
    from judged
    left join numbered
        on judged.line_no = numbered.line_no
)

select * from final
order by line_no;

-- the table is made empty, these constraints added, then filled by its
-- parts side by side (warehouse/import_build.py judge_lines): a check
-- costs little per row
alter table source_line alter column line_no set not null;
alter table source_line add constraint source_line_outcome_values
    check (outcome in ('imported', 'rejected'));
alter table source_line add constraint source_line_reason_when_rejected
    check ((outcome = 'rejected') = (reason is not null));

-- the key's index is made after, beside the star's first statement, which
-- reads the table (an alter table would wait for it; kept up by the parts
-- as they inserted, the index took their time from 1.5 s to 1.8-2.2 s on
-- the UCI file), and then made the key (build_star)
create unique index source_line_pkey on source_line (line_no);
alter table source_line
    add constraint source_line_pkey primary key using index source_line_pkey;
