"""The planted structure: every constant the generator draws from.

This module owns the *truth* of the synthetic shop: personas, channels,
catalogue, seasons, bundles, prices and rates, each with its reason. The
generator modules read it; ``truth`` writes the parts the book checks
against to ``<schema>_truth``. Nothing here is random: randomness comes
from ``rng``.
"""

from __future__ import annotations

# --- scale -----------------------------------------------------------------
#: sign-ups a day at scale 1 on the first day, before growth and season
#: (scale 1 = about 10,000 customers over the three default years: each day
#: draws its own sign-ups, so a longer period has more customers, and the
#: days before any date never depend on the days after it)
SIGNUPS_PER_DAY = 5.58
PRODUCTS = 250

# --- growth ----------------------------------------------------------------
#: new sign-ups grow by this fraction a year (the planted growth rate)
ANNUAL_SIGNUP_GROWTH = 0.35
#: list prices were this much lower a year earlier (price inflation)
ANNUAL_PRICE_INFLATION = 0.03
#: unit costs were this much lower a year earlier (cost inflation)
ANNUAL_COST_INFLATION = 0.045

# --- calendar rhythm ---------------------------------------------------------
#: relative order intensity by month (January first); Nov-Dec is the peak
MONTH_INTENSITY = (0.88, 0.84, 0.94, 0.96, 1.0, 0.95,
                   0.93, 0.96, 0.97, 1.02, 1.32, 1.48)
#: relative order intensity by ISO day of week (Monday first)
WEEKDAY_INTENSITY = (1.12, 1.05, 1.0, 0.98, 0.9, 0.85, 1.1)
#: relative order intensity by hour of day (shop local time)
HOUR_INTENSITY = (0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.55, 0.8, 0.95,
                  1.0, 1.05, 1.15, 1.1, 1.0, 0.95, 0.95, 1.05, 1.25, 1.5,
                  1.65, 1.55, 1.1, 0.55)
#: Black Friday weekend to Cyber Monday: extra intensity on those days
BLACK_FRIDAY_BOOST = 2.2
#: bargain hunters react more to Black Friday: their boost is this many
#: times the shop's (so the discount-driven persona shows in the peak)
BARGAIN_HUNTER_BLACK_FRIDAY_FACTOR = 1.6

# --- channels: (name, group, share of sign-ups, lifetime multiplier) ---------
CHANNELS = (
    ("Direct", "Owned", 0.12, 1.25),
    ("Email", "Owned", 0.05, 1.2),
    ("Mobile App", "Owned", 0.07, 1.35),
    ("Organic Search", "Organic", 0.21, 1.0),
    ("Organic Social", "Organic", 0.10, 0.9),
    ("Referral", "Organic", 0.08, 1.3),
    ("Paid Search", "Paid", 0.22, 0.85),
    ("Paid Social", "Paid", 0.15, 0.6),
)
#: channels of repeat orders not placed through the acquisition channel
REPEAT_CHANNEL_MIX = {"Direct": 0.35, "Email": 0.25, "Mobile App": 0.25,
                      "Organic Search": 0.15}
#: share of repeat orders placed through the customer's acquisition channel
REPEAT_SAME_CHANNEL = 0.45

# --- personas ----------------------------------------------------------------
# share: of sign-ups; repeat_rate: repeat orders a year while active;
# extra_lines: mean lines beyond the first; price_sensitivity: how strongly
# cheaper products are preferred (negative: prefers expensive);
# promo: share of orders with a promotion code; lifetime: mean active days;
# conversion: share of sign-ups that ever order; return_factor: x return rate
PERSONAS = {
    "vip": dict(share=0.05, repeat_rate=14.0, extra_lines=1.6,
                price_sensitivity=-0.35, promo=0.08, lifetime=1600,
                conversion=1.0, return_factor=0.7),
    "loyal": dict(share=0.20, repeat_rate=9.0, extra_lines=1.2,
                  price_sensitivity=0.15, promo=0.15, lifetime=1300,
                  conversion=1.0, return_factor=0.9),
    "bargain_hunter": dict(share=0.22, repeat_rate=7.5, extra_lines=1.1,
                           price_sensitivity=1.1, promo=0.6, lifetime=700,
                           conversion=0.93, return_factor=1.5),
    "occasional": dict(share=0.28, repeat_rate=4.5, extra_lines=0.7,
                       price_sensitivity=0.45, promo=0.18, lifetime=650,
                       conversion=0.88, return_factor=1.0),
    "one_and_done": dict(share=0.25, repeat_rate=0.0, extra_lines=0.6,
                         price_sensitivity=0.5, promo=0.3, lifetime=1,
                         conversion=1.0, return_factor=1.2),
}
#: persona mix tilt by acquisition channel (multiplies the shares)
CHANNEL_PERSONA_TILT = {
    "Direct": {"vip": 1.8, "loyal": 1.4, "one_and_done": 0.6},
    "Email": {"loyal": 1.6, "bargain_hunter": 1.3},
    "Mobile App": {"vip": 1.6, "loyal": 1.5, "one_and_done": 0.5},
    "Referral": {"vip": 2.0, "loyal": 1.5, "one_and_done": 0.6},
    "Paid Search": {"bargain_hunter": 1.2},
    "Paid Social": {"vip": 0.4, "bargain_hunter": 1.4, "one_and_done": 1.9},
}
#: mean days from sign-up to the first order (exponential)
FIRST_ORDER_DELAY_DAYS = 3.0
#: spread of individual purchase rates around the persona's (log-normal sigma)
RATE_HETEROGENEITY_SIGMA = 0.4

# --- order amounts -----------------------------------------------------------
MAX_LINES = 12
#: quantity of a line: probabilities of 1, 2, 3, 4
QUANTITY_PROBS = (0.82, 0.12, 0.04, 0.02)
#: promotion codes, percent off the lines, and how often each is used
PROMO_PERCENTS = (10, 15, 20, 25)
PROMO_PERCENT_PROBS = (0.4, 0.3, 0.2, 0.1)
#: promotion use is this many times more likely around Black Friday
BLACK_FRIDAY_PROMO_BOOST = 2.5
#: at most this share of a persona's orders use a promotion on any day (the
#: Black Friday boost must not make every bargain hunter's order discounted)
PROMO_SHARE_CAP = 0.9
FREE_SHIPPING_FROM_CENTS = 5_000
STANDARD_SHIPPING_CENTS = 599
EXPRESS_SHIPPING_CENTS = 1_499
EXPRESS_SHARE = 0.08
CANCEL_RATE = 0.03
RETURN_RATE = 0.045
#: cancellations happen before shipping: within this many hours of the order
CANCEL_WITHIN_HOURS = 36
#: returns arrive after delivery (this many days after the order) plus an
#: exponential wait of this mean, within the return window
RETURN_AFTER_DAYS = 3
RETURN_MEAN_WAIT_DAYS = 11.0
RETURN_WINDOW_DAYS = 60
#: orders with a Fashion line are returned this many times more often
FASHION_RETURN_FACTOR = 1.8

# --- places: (region, share of customers, sales tax in basis points) ---------
COUNTRY = "United States"
REGIONS = (
    ("CA", 0.14, 725), ("TX", 0.10, 625), ("FL", 0.08, 600),
    ("NY", 0.08, 400), ("PA", 0.05, 600), ("IL", 0.05, 625),
    ("OH", 0.045, 575), ("GA", 0.04, 400), ("NC", 0.04, 475),
    ("MI", 0.04, 600), ("NJ", 0.035, 663), ("VA", 0.03, 530),
    ("WA", 0.03, 650), ("AZ", 0.03, 560), ("MA", 0.025, 625),
    ("CO", 0.02, 290), ("OR", 0.015, 0), ("NH", 0.005, 0),
    ("MN", 0.02, 688), ("TN", 0.025, 700), ("MO", 0.02, 423),
    ("WI", 0.02, 500), ("MD", 0.02, 600), ("IN", 0.02, 700),
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.test")
#: customers change their details this many times a year (a Poisson process
#: from sign-up): a move (a new city, and region, hence sales tax) or else a
#: new email address
CUSTOMER_CHANGES_PER_YEAR = 0.2
MOVE_SHARE = 0.55
#: Faker fills pools of this many first names, last names and cities once
#: per seed, and customers draw from them (Faker makes about 5,000 names a
#: second; 1,500 names of each kind give over two million combinations)
NAME_POOL = 1500
CITY_POOL = 600

# --- catalogue ----------------------------------------------------------------
# category: (cost ratio of list price, {subcategory: (min price, max price,
# product weight, noun)}); seasonal categories are in CATEGORY_SEASONS
CATALOGUE = {
    "Electronics": (0.74, {
        "Smartphones": (249, 1099, 6, "Smartphone"),
        "Phone Cases": (12, 45, 6, "Phone Case"),
        "Audio": (29, 349, 8, "Headphones"),
        "Laptops": (449, 1899, 6, "Laptop"),
        "Laptop Sleeves": (19, 59, 4, "Laptop Sleeve"),
        "Printers": (89, 399, 4, "Printer"),
        "Printer Ink": (15, 69, 4, "Ink Cartridge"),
        "Game Consoles": (249, 549, 3, "Game Console"),
        "Video Games": (19, 69, 8, "Video Game"),
    }),
    "Home & Kitchen": (0.55, {
        "Espresso Machines": (89, 699, 5, "Espresso Machine"),
        "Coffee Beans": (9, 29, 6, "Coffee Beans"),
        "Cookware": (19, 249, 8, "Frying Pan"),
        "Bedding": (29, 199, 7, "Sheet Set"),
        "Home Decor": (9, 129, 8, "Candle"),
    }),
    "Fashion": (0.42, {
        "Sneakers": (49, 179, 7, "Sneakers"),
        "Jackets": (59, 249, 6, "Jacket"),
        "T-Shirts": (12, 45, 8, "T-Shirt"),
        "Bags": (25, 189, 6, "Bag"),
    }),
    "Beauty & Health": (0.45, {
        "Shampoo": (7, 29, 4, "Shampoo"),
        "Conditioner": (7, 29, 4, "Conditioner"),
        "Skin Care": (12, 89, 8, "Face Cream"),
        "Fragrance": (29, 129, 5, "Eau de Parfum"),
    }),
    "Sports & Fitness": (0.58, {
        "Yoga Mats": (19, 99, 4, "Yoga Mat"),
        "Yoga Blocks": (9, 29, 3, "Yoga Block"),
        "Dumbbells": (25, 199, 5, "Dumbbell Set"),
        "Running Shoes": (69, 199, 6, "Running Shoes"),
        "Running Socks": (8, 24, 4, "Running Socks"),
    }),
    "Toys & Games": (0.5, {
        "Building Sets": (15, 159, 7, "Building Set"),
        "Board Games": (15, 69, 7, "Board Game"),
        "Plush Toys": (9, 39, 5, "Plush Toy"),
        "Puzzles": (9, 35, 5, "Puzzle"),
    }),
    "Garden & Outdoor": (0.52, {
        "Grills": (149, 899, 4, "Grill"),
        "Grill Tools": (15, 59, 4, "Grill Tool Set"),
        "Garden Tools": (12, 129, 6, "Garden Tool"),
        "Tents": (79, 499, 4, "Tent"),
        "Sleeping Bags": (39, 199, 4, "Sleeping Bag"),
    }),
    "Books": (0.62, {
        "Fiction": (9, 29, 7, "Novel"),
        "Non-Fiction": (12, 39, 6, "Guide"),
        "Children's Books": (7, 24, 5, "Picture Book"),
    }),
}
#: categories with a season of their own: {category: {month: multiplier}}
CATEGORY_SEASONS = {
    "Garden & Outdoor": {4: 2.2, 5: 2.8, 6: 2.4},
    "Toys & Games": {11: 2.0, 12: 2.9},
    "Sports & Fitness": {1: 2.4, 2: 1.8},
}
#: bundles: pairs of subcategories whose products are bought together
BUNDLE_SUBCATEGORIES = (
    ("Smartphones", "Phone Cases"),
    ("Laptops", "Laptop Sleeves"),
    ("Printers", "Printer Ink"),
    ("Game Consoles", "Video Games"),
    ("Espresso Machines", "Coffee Beans"),
    ("Shampoo", "Conditioner"),
    ("Yoga Mats", "Yoga Blocks"),
    ("Running Shoes", "Running Socks"),
    ("Grills", "Grill Tools"),
    ("Tents", "Sleeping Bags"),
)
#: share of orders that contain one planted bundle
BUNDLE_ORDER_SHARE = 0.09
#: within a subcategory, popularity falls with rank as rank ** -exponent
POPULARITY_EXPONENT = 0.8
#: share of products launched after the start date (the rest before it),
#: spread over this many days from the start (a product is in dim_product
#: from its launch)
LAUNCHED_IN_PERIOD_SHARE = 0.15
LAUNCH_SPREAD_DAYS = 1036
#: share of products discontinued, in the year that ends this many days
#: after the start date (is_active turns false on the day)
DISCONTINUED_SHARE = 0.06
DISCONTINUED_BY_DAY = 1095

BRANDS = ("Acme", "Northwind", "Contoso", "Fabrikam", "Lumen", "Vertex",
          "Solace", "Kestrel", "Orchid", "Brightline", "Tallow", "Quill",
          "Harbor", "Juniper", "Nimbus", "Pioneer")
ADJECTIVES = ("Classic", "Pro", "Lite", "Max", "Eco", "Prime", "Mini",
              "Plus", "Studio", "Travel", "Everyday", "Signature")
