"""What a mapping's data knows, and the mapping in words.

Owns ``known``: for every capability (``mapping.CAPABILITIES``) whether
the data a mapping reads knows it and how, in one line each, as the
warehouse's ``data_known`` records it for the chapters. A capability the
source lacks says what stands in its place and what that turns off (a
placeholder price of 0.00, a placeholder date, one default channel), so
that no page presents a placeholder as the shop's data. Also
``fields_text`` and ``rules_text``: where each warehouse field comes from
and what each rule does, for the book's page about the import.
"""

from __future__ import annotations

from .spec import DEFAULTS, FIELDS, PARTS, Mapping


def _from(mapping: Mapping, *names: str) -> str | None:
    """Where the first of ``names`` the mapping gives comes from."""
    for name in names:
        part = mapping.part_of(name)
        if part is not None:
            text = part.fields[name].words()
            return text if part.name == "lines" else \
                f"{text} of the {part.name} file"
    return None


def _status(mapping: Mapping, kind: str) -> str | None:
    status = mapping.status
    if status is None or not getattr(status, kind):
        return None
    return (f"{_from(mapping, 'status')}: orders whose status is "
            + " or ".join(repr(v) for v in getattr(status, kind)))


def known(mapping: Mapping) -> dict[str, tuple[bool, str]]:
    """(known, how) per capability, for ``data_known``."""
    fields = mapping.fields
    defaults = mapping.defaults
    found: dict[str, tuple[bool, str]] = {}

    def say(name: str, how: str | None, lacking: str) -> None:
        found[name] = (how is not None, how or f"not in the source: "
                       f"{lacking}")

    prices = mapping.prices()
    price_how = None
    if prices == "unit":
        price_how = _from(mapping, "unit_price")
    elif "line_total" in fields:
        base = ("the line amounts before discount, "
                f"{_from(mapping, 'line_subtotal')}"
                if "line_subtotal" in fields else "them")
        price_how = (f"{_from(mapping, 'line_total')} (line totals; unit "
                     f"prices derived from {base}, rounded up to the cent, "
                     "the cents carried as the line's discount)")
    elif "line_subtotal" in fields:
        price_how = (f"{_from(mapping, 'line_subtotal')} (line amounts "
                     "before discount; unit prices derived, rounded up to "
                     "the cent)")
    say("prices", price_how, "every unit price is 0.00, a placeholder: net "
        "revenue, order values and every amount are not figures of the "
        "shop")
    cost = None
    if "unit_cost" in fields:
        cost = _from(mapping, "unit_cost")
    elif "line_cost" in fields:
        cost = f"derived from {_from(mapping, 'line_cost')} (line costs)"
    elif "profit" in fields:
        cost = (f"derived from {_from(mapping, 'profit')} (line profit: "
                "cost = net amount - profit)")
    say("costs", cost if prices != "none" else None,
        "costs and margins are unknown")
    for kind, rule in (("returns", mapping.returned_when),
                       ("cancellations", mapping.cancelled_when)):
        hows = [f"lines whose {rule.describe()}"] if rule else []
        status = _status(mapping, "returned" if kind == "returns"
                         else "cancelled")
        hows += [status] if status else []
        say(kind, "; ".join(hows) or None, "no order is known to be "
            + ("returned" if kind == "returns" else "cancelled"))
    say("channels", _from(mapping, "channel"), "every order is in the "
        f"channel {defaults['channel']!r}")
    say("categories", _from(mapping, "category"), "every product is in "
        f"the category {defaults['category']!r}")
    say("subcategories", _from(mapping, "subcategory"),
        "products have no subcategory")
    say("customers", _from(mapping, "customer_code"), "each order is a "
        "guest customer of its own: no customer is known to come back")
    say("customer_names", _from(mapping, "full_name", "first_name",
                                "last_name"), "customers' names are unknown")
    say("places", _from(mapping, "country", "region", "city"),
        "customers' places are unknown")
    date = fields.get("order_ts")
    if date is None or date.value is not None:
        day = date.value if date is not None else defaults["order_date"]
        say("dates", None, f"every order is dated {day}, a placeholder: "
            "days, months, seasons, cohorts and recency are unknown")
        say("times", None, "no order has a time of day")
    else:
        say("dates", _from(mapping, "order_ts"), "")
        from .mapping import has_time_of_day
        if has_time_of_day(date) is False:
            say("times", None, "the dates have no time of day (every "
                "order at 00:00)")
        else:
            say("times", _from(mapping, "order_ts"), "")
    say("quantities", _from(mapping, "quantity"), "every line counts as "
        "one unit, a placeholder: units are line counts")
    discount = _from(mapping, "line_discount", "discount_rate")
    if discount is None and "line_subtotal" in fields and \
            "line_total" in fields:
        discount = (f"{_from(mapping, 'line_subtotal')} less "
                    f"{_from(mapping, 'line_total')}")
    say("discounts", discount if prices != "none" else None,
        "no discount is known" + (
            " (a line's discount_amount holds only the cents of rounding "
            "its derived unit price)" if prices == "amounts" else ""))
    return found


#: fields left out of the words when not given: another field says the
#: same (a line total for a unit price, a full name for first and last)
ALTERNATIVES = ("line_total", "line_subtotal", "line_discount",
                "discount_rate", "line_cost", "profit", "full_name",
                "status")


def fields_text(mapping: Mapping) -> list[str]:
    """Where each warehouse field comes from, in words (one entry per
    field of ``FIELDS``), for the book."""
    lines = []
    for name in FIELDS:
        part = mapping.part_of(name)
        if part is None and name in ALTERNATIVES:
            continue
        if part is None:
            default = mapping.defaults.get(name, DEFAULTS.get(name))
            if name == "order_ts":
                default = mapping.defaults["order_date"] + " (a placeholder)"
            lines.append(f"{name}: not in the source, "
                         + (f"always {default}" if default else
                            "unknown (null)"))
            continue
        text = part.fields[name].words()
        if part.name != "lines":
            text += f" of the {part.name} file {part.path}"
        lines.append(f"{name}: {text}")
    for name, (key, _) in PARTS.items():
        part = mapping.joined.get(name)
        if part is not None:
            lines.append(f"the {name} file {part.path} is joined to the "
                         f"lines by {key}")
    return lines


def rules_text(mapping: Mapping) -> list[str]:
    """The rules in words, for the book's page about the import."""
    lines = []
    if mapping.returned_when:
        lines.append(f"a line whose {mapping.returned_when.describe()} "
                     "belongs to a return: an order of its own with "
                     "status returned, quantities made positive")
    if mapping.cancelled_when:
        lines.append(f"a line whose {mapping.cancelled_when.describe()} "
                     "belongs to a cancelled order")
    status = mapping.status
    if status:
        for kind in ("cancelled", "returned", "completed"):
            if getattr(status, kind):
                lines.append("an order whose status is " + " or ".join(
                    repr(v) for v in getattr(status, kind)) + f" is {kind}")
        lines.append("an order of any other status is " + (
            "rejected" if status.completed else "completed"))
    if mapping.order_fields == "first_line":
        lines.append("an order's own fields (time, customer, channel, "
                     "status) are read from its first line that has them")
    lines.append("a line without a customer is " + (
        "rejected" if mapping.missing_customer == "reject" else
        "kept with a guest customer of its own order"))
    if mapping.not_products:
        lines.append(f"a line whose {mapping.not_products.describe()} is "
                     "not a product and is rejected")
    lines.append("an exact repeat of an earlier line of the same order "
                 "is " + ("rejected" if mapping.duplicates == "reject"
                          else "kept"))
    if mapping.prices() != "none":
        lines.append("a line with a price of zero or less is " + (
            "rejected" if mapping.zero_price == "reject" else "kept"))
    lines.append("a line with a quantity of zero, or a negative "
                 "quantity outside a return, is rejected")
    return lines
