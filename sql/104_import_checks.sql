-- quality checks of an imported warehouse: every line of the source is
-- accounted for.
-- grain: one row per violation, as the checks of 090.
-- runs with the warehouse's staging schema first on the search path and
-- the import's second (source_line lives in <schema>_import).

create view qc_source_lines_add_up as

with

source_lines as (
    select * from source_line
),

order_items as (
    select * from fact_order_item
),

orders as (
    select * from fact_order
),

info as (
    select * from import_info
),

numbering as (
    -- line_no runs 1 .. the lines read, without a gap
    select
        'line numbers' as problem,
        count(*)::text as found,
        max(info.source_lines)::text as expected
    from source_lines
    cross join info
    having count(*) <> max(info.source_lines)
        or min(source_lines.line_no) <> 1
        or max(source_lines.line_no) <> max(info.source_lines)
),

item_keys as (
    select
        orders.order_number,
        order_items.line_number
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
),

unmatched as (
    -- an imported line without its fact_order_item row, or a row without
    -- its line
    select
        case
            when item_keys.order_number is null
                then 'imported line ' || imported.line_no || ' has no row'
            else 'row ' || item_keys.order_number || '/'
                || item_keys.line_number || ' has no imported line'
        end as problem,
        coalesce(imported.order_number, item_keys.order_number) as found,
        null as expected
    from (
        select *
        from source_lines
        where outcome = 'imported'
    ) as imported
    full join item_keys
        on imported.order_number = item_keys.order_number
        and imported.line_number = item_keys.line_number
    where imported.line_no is null or item_keys.order_number is null
),

final as (
    select * from numbering
    union all
    select * from unmatched
)

select * from final;

comment on view qc_source_lines_add_up is
    'every data line of the source is in source_line once, and the imported '
    'ones are the fact_order_item rows, one for one';
