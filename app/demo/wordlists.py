"""What the demo store is made of: departments, their categories, and the words products use."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Axis:
    """A way variants differ (Size, Colour...); `price_factors` scale the price, value by value."""

    name: str
    values: tuple[str, ...]
    consecutive: bool = False
    price_factors: tuple[float, ...] = ()

    def price_factor(self, value: str) -> float:
        """How much `value` multiplies the base price (1.0 when the axis does not change it)."""
        if not self.price_factors:
            return 1.0
        return self.price_factors[self.values.index(value)]


def rising(count: int, step: float) -> tuple[float, ...]:
    """Price factors that grow by `step` per value: 1.0, 1.0 + step, 1.0 + 2 * step..."""
    return tuple(1.0 + step * index for index in range(count))


@dataclass(frozen=True)
class Leaf:
    """A child category and the kind of products sold in it."""

    name: str
    nouns: tuple[str, ...]
    price_range: tuple[int, int]
    axes: tuple[Axis, ...] = ()
    materials: tuple[str, ...] = ()
    weight_range: tuple[int, int] = (100, 1000)
    extra_attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    initials: str = ""


@dataclass(frozen=True)
class Department:
    """A top-level category, its brands, words and pictures."""

    name: str
    description: str
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    sentences: tuple[str, ...]
    closing: tuple[str, ...]
    leaves: tuple[Leaf, ...]
    glyph: str
    hues: tuple[int, ...]
    books: bool = False


@dataclass(frozen=True)
class MerchantProfile:
    """A demo shop and the departments it sells in."""

    name: str
    description: str
    departments: tuple[str, ...]
    active: bool = True


COLOURS = (
    "Black",
    "White",
    "Navy",
    "Charcoal",
    "Red",
    "Forest Green",
    "Sand",
    "Sky Blue",
    "Mustard",
    "Burgundy",
    "Olive",
    "Coral",
)
APPAREL_SIZES = Axis("Size", ("XS", "S", "M", "L", "XL", "XXL"), True, rising(6, 0.02))
WAIST_SIZES = Axis("Waist", ("28", "30", "32", "34", "36", "38"), True)
SHOE_SIZES = Axis("Size", tuple(f"EU {size}" for size in range(38, 46)), True)
GEAR_SIZES = Axis("Size", ("S", "M", "L", "XL"), True)
COLOUR = Axis("Colour", COLOURS)
BED_SIZES = Axis("Size", ("Single", "Double", "Queen", "King"), True, rising(4, 0.18))
BOOK_FORMATS = Axis("Format", ("Paperback", "Hardcover", "E-book"), False, (1.0, 1.6, 0.6))
POWER = Axis("Power", ("20 W", "35 W", "65 W", "100 W"), True, rising(4, 0.3))
WEIGHTS = Axis("Weight", ("2 kg", "4 kg", "6 kg", "8 kg", "10 kg"), True, rising(5, 0.35))
PIECES = Axis("Pieces", ("500", "1000", "1500", "2000"), True, rising(4, 0.25))
BULB = Axis("Bulb", ("Warm white", "Neutral white", "Colour"), False, (1.0, 1.0, 1.3))

ORIGINS = ("Portugal", "Italy", "Vietnam", "Canada", "Germany", "Japan", "Mexico", "Poland")
CARE = ("Machine wash at 30°C", "Hand wash only", "Machine wash at 40°C", "Dry clean only")
WARRANTY = ("1 year", "2 years", "3 years")
AGES = ("3+", "5+", "8+", "12+", "14+")

DEPARTMENTS = (
    Department(
        name="Clothing",
        description="Everyday clothes made to last, from tees to jackets.",
        brands=("Northwind", "Alder & Pine", "Loomwell", "Harbor Line", "Fieldnote"),
        adjectives=(
            "Classic",
            "Relaxed",
            "Heavyweight",
            "Slim",
            "Vintage",
            "Essential",
            "Organic",
            "Oversized",
            "Lightweight",
            "Everyday",
        ),
        sentences=(
            "Cut for everyday comfort, it layers easily and keeps its shape wash after wash.",
            "The fabric is pre-shrunk, so the fit you buy is the fit you keep.",
            "Flat seams and a soft finish make it easy to wear all day.",
            "It pairs as well with denim as with tailored trousers.",
            "Reinforced stitching at the stress points means it holds up to real life.",
            "The colour is garment-dyed for a lived-in look from the first wear.",
        ),
        closing=("Model is 183 cm and wears size M.", "Sizes run true; size up for a looser fit."),
        leaves=(
            Leaf(
                "T-shirts",
                ("T-shirt", "Crew-neck Tee", "V-neck Tee", "Pocket Tee", "Long-sleeve Tee"),
                (1200, 3900),
                (APPAREL_SIZES, COLOUR),
                ("Cotton", "Organic Cotton", "Linen Blend", "Merino Wool"),
                (150, 250),
                {"Care": CARE},
                "TS",
            ),
            Leaf(
                "Hoodies",
                ("Hoodie", "Zip Hoodie", "Pullover Hoodie", "Sweatshirt"),
                (3900, 8900),
                (APPAREL_SIZES, COLOUR),
                ("Fleece", "Brushed Cotton", "Recycled Polyester"),
                (450, 800),
                {"Care": CARE},
                "HD",
            ),
            Leaf(
                "Jeans",
                ("Jeans", "Straight Jeans", "Tapered Jeans", "Selvedge Jeans"),
                (4900, 12900),
                (WAIST_SIZES,),
                ("Denim", "Stretch Denim", "Raw Denim"),
                (550, 900),
                {"Care": CARE, "Fit": ("Slim", "Regular", "Relaxed")},
                "JN",
            ),
            Leaf(
                "Jackets",
                ("Jacket", "Rain Jacket", "Denim Jacket", "Field Jacket", "Parka"),
                (7900, 24900),
                (APPAREL_SIZES, COLOUR),
                ("Waxed Cotton", "Nylon", "Wool", "Gore-Tex"),
                (600, 1500),
                {"Care": CARE},
                "JK",
            ),
        ),
        glyph="shirt",
        hues=(205, 215, 190, 230),
    ),
    Department(
        name="Home & Kitchen",
        description="Cookware, bedding, lighting and the small things that make a home.",
        brands=("Hearthstone", "Oak & Ember", "Casa Lumen", "Stillwater", "Kiln Works"),
        adjectives=(
            "Handmade",
            "Stoneware",
            "Minimalist",
            "Rustic",
            "Nordic",
            "Enamel",
            "Classic",
            "Modern",
            "Speckled",
            "Glazed",
        ),
        sentences=(
            "Made in small batches, so every piece is slightly different.",
            "Sturdy enough for daily use, and it looks better with age.",
            "A quiet design that fits any kitchen or living room.",
            "Generous proportions make it as useful as it is good-looking.",
            "It arrives in plastic-free packaging, ready to give as a gift.",
            "Care is simple: a quick wipe keeps it looking new for years.",
        ),
        closing=("Colours may vary slightly from batch to batch.", "Designed to be used daily."),
        leaves=(
            Leaf(
                "Kitchen",
                ("Mug", "Frying Pan", "Chef's Knife", "Cutting Board", "Teapot", "Mixing Bowl"),
                (900, 8900),
                (COLOUR,),
                ("Stoneware", "Cast Iron", "Stainless Steel", "Walnut", "Enamel"),
                (300, 2500),
                {"Dishwasher safe": ("Yes", "No")},
                "KT",
            ),
            Leaf(
                "Bedding",
                ("Duvet Cover", "Sheet Set", "Pillowcase Pair", "Quilt", "Throw"),
                (2900, 14900),
                (BED_SIZES, COLOUR),
                ("Linen", "Percale Cotton", "Sateen", "Bamboo"),
                (700, 2500),
                {"Care": CARE},
                "BD",
            ),
            Leaf(
                "Decor",
                ("Vase", "Candle", "Picture Frame", "Wall Clock", "Planter"),
                (1500, 6900),
                (COLOUR,),
                ("Ceramic", "Glass", "Soy Wax", "Oak", "Brass"),
                (200, 2000),
                {},
                "DC",
            ),
            Leaf(
                "Lighting",
                ("Table Lamp", "Floor Lamp", "Pendant Light", "Desk Lamp"),
                (3900, 19900),
                (BULB,),
                ("Brass", "Linen", "Glass", "Steel"),
                (800, 4500),
                {"Warranty": WARRANTY},
                "LT",
            ),
        ),
        glyph="house",
        hues=(25, 35, 15, 45),
    ),
    Department(
        name="Electronics",
        description="Headphones, chargers, speakers and smart-home gear.",
        brands=("Voltix", "Lumen Audio", "Arcwave", "Nordsound", "Helio"),
        adjectives=(
            "Wireless",
            "Compact",
            "Pro",
            "Portable",
            "Noise-cancelling",
            "Fast",
            "Smart",
            "Ultra",
            "Travel",
            "Studio",
        ),
        sentences=(
            "Setup takes a minute: pair it once and it reconnects on its own.",
            "The battery lasts a full working day and charges over USB-C.",
            "A tuned, balanced sound that stays clear at any volume.",
            "Built-in protections keep your devices safe while they charge.",
            "Firmware updates arrive over the air, adding features over time.",
            "Its aluminium body is light, sturdy and easy to take anywhere.",
        ),
        closing=("Includes a USB-C cable.", "Ships with a quick-start guide in 12 languages."),
        leaves=(
            Leaf(
                "Headphones",
                ("Headphones", "Earbuds", "Over-ear Headphones", "Sports Earbuds"),
                (2900, 34900),
                (COLOUR,),
                ("Aluminium", "Plastic", "Leather"),
                (30, 350),
                {"Warranty": WARRANTY, "Battery life": ("20 hours", "30 hours", "40 hours")},
                "HP",
            ),
            Leaf(
                "Chargers & Cables",
                ("USB-C Charger", "Charging Cable", "Power Bank", "Wireless Charger"),
                (900, 7900),
                (POWER,),
                ("Braided Nylon", "Aluminium", "Recycled Plastic"),
                (40, 400),
                {"Warranty": WARRANTY},
                "CC",
            ),
            Leaf(
                "Speakers",
                ("Bluetooth Speaker", "Smart Speaker", "Soundbar", "Bookshelf Speakers"),
                (3900, 39900),
                (COLOUR,),
                ("Fabric", "Aluminium", "Wood"),
                (400, 6000),
                {"Warranty": WARRANTY, "Water resistance": ("IPX4", "IPX7", "None")},
                "SP",
            ),
            Leaf(
                "Smart Home",
                ("Smart Plug", "Smart Bulb", "Door Sensor", "Thermostat", "Security Camera"),
                (1900, 19900),
                (),
                ("Plastic", "Aluminium"),
                (50, 600),
                {"Warranty": WARRANTY, "Works with": ("Matter", "HomeKit", "Google Home", "Alexa")},
                "SH",
            ),
        ),
        glyph="bolt",
        hues=(265, 280, 250, 295),
    ),
    Department(
        name="Books",
        description="Novels, cookbooks, science and stories for young readers.",
        brands=("Paper Lantern Press", "Quayside Books", "Inkwell", "Marlow & Finch"),
        adjectives=(
            "Silent",
            "Last",
            "Hidden",
            "Distant",
            "Golden",
            "Winter",
            "Lost",
            "Burning",
            "Quiet",
            "Northern",
            "Painted",
            "Forgotten",
        ),
        sentences=(
            "A book readers press on their friends.",
            "Clear, warm writing that rewards a second reading.",
            "Shortlisted for several prizes and translated into twenty languages.",
            "Beautifully designed, with a sewn binding that lies flat.",
            "Perfect for a long weekend or a quiet evening.",
            "Includes a new foreword and notes for reading groups.",
        ),
        closing=("Printed on FSC-certified paper.", "The e-book is delivered as EPUB."),
        leaves=(
            Leaf(
                "Fiction",
                ("Harbour", "Garden", "Orchard", "Lighthouse", "River", "Station", "Summer"),
                (899, 2499),
                (BOOK_FORMATS,),
                (),
                (200, 700),
                {},
                "FI",
            ),
            Leaf(
                "Cookbooks",
                ("Kitchen", "Table", "Pantry", "Feast", "Bakery"),
                (1499, 3999),
                (BOOK_FORMATS,),
                (),
                (600, 1400),
                {},
                "CB",
            ),
            Leaf(
                "Science",
                ("Universe", "Atom", "Mind", "Ocean", "Code", "Forest"),
                (1299, 3499),
                (BOOK_FORMATS,),
                (),
                (300, 900),
                {},
                "SC",
            ),
            Leaf(
                "Children's Books",
                ("Dragon", "Fox", "Moon", "Robot", "Bear", "Island"),
                (599, 1999),
                (BOOK_FORMATS,),
                (),
                (150, 600),
                {"Age": AGES[:3]},
                "CH",
            ),
        ),
        glyph="book",
        hues=(350, 5, 335, 20),
        books=True,
    ),
    Department(
        name="Sports & Outdoors",
        description="Gear for running, training, camping and cycling.",
        brands=("Trailhead", "Summit Co.", "Peakform", "Riverstone", "Tempo"),
        adjectives=(
            "Trail",
            "Ultralight",
            "Pro",
            "All-weather",
            "Performance",
            "Packable",
            "Grippy",
            "Breathable",
            "Waterproof",
            "Everyday",
        ),
        sentences=(
            "Tested on long days outside, in rain and in heat.",
            "Light enough to forget about, tough enough to rely on.",
            "A breathable build keeps you cool when the pace picks up.",
            "Reflective details keep you visible early and late.",
            "It packs down small and clips onto any bag.",
            "Designed with coaches and athletes, refined over three seasons.",
        ),
        closing=("Backed by our 100-day trial.", "Repair service available for 5 years."),
        leaves=(
            Leaf(
                "Running",
                ("Running Shoes", "Trail Shoes", "Racing Flats", "Road Shoes"),
                (2900, 15900),
                (SHOE_SIZES, COLOUR),
                ("Mesh", "Recycled Polyester", "Merino Wool"),
                (150, 700),
                {"Drop": ("4 mm", "6 mm", "8 mm")},
                "RU",
            ),
            Leaf(
                "Fitness",
                ("Kettlebell", "Dumbbell Set", "Weight Plate", "Medicine Ball"),
                (1500, 8900),
                (WEIGHTS,),
                ("Cast Iron", "Rubber-coated Steel", "Vinyl"),
                (2000, 10000),
                {},
                "FT",
            ),
            Leaf(
                "Camping",
                ("Tent", "Sleeping Bag", "Camp Stove", "Headlamp", "Backpack"),
                (1900, 39900),
                (COLOUR,),
                ("Ripstop Nylon", "Down", "Aluminium", "Polyester"),
                (200, 4000),
                {"Season": ("2-season", "3-season", "4-season")},
                "CA",
            ),
            Leaf(
                "Cycling",
                ("Bike Helmet", "Cycling Jersey", "Cycling Gloves", "Bib Shorts"),
                (1900, 14900),
                (GEAR_SIZES, COLOUR),
                ("Polycarbonate", "Lycra", "Merino Wool", "Cordura"),
                (150, 600),
                {},
                "CY",
            ),
        ),
        glyph="ball",
        hues=(130, 150, 110, 165),
    ),
    Department(
        name="Toys & Games",
        description="Board games, puzzles, building sets and cuddly friends.",
        brands=("Toybox Co.", "Brightbricks", "Meeple & Co.", "Puzzleworks", "Cloud Nine"),
        adjectives=(
            "Deluxe",
            "Classic",
            "Family",
            "Giant",
            "Mini",
            "Wooden",
            "Cosy",
            "Cooperative",
            "Colourful",
            "Magnetic",
        ),
        sentences=(
            "Easy to learn in five minutes, fun to play for years.",
            "Made from child-safe, sustainably sourced materials.",
            "Great for rainy afternoons and family game nights.",
            "Pieces are sturdy and sized for small hands.",
            "It sparks imagination without a single screen.",
            "Arrives in a sturdy box that doubles as storage.",
        ),
        closing=("Not suitable for children under 3.", "Batteries not required."),
        leaves=(
            Leaf(
                "Board Games",
                ("Board Game", "Card Game", "Strategy Game", "Party Game"),
                (1499, 5999),
                (),
                ("Cardboard", "Wood"),
                (400, 2000),
                {"Age": AGES, "Players": ("1-4", "2-4", "2-6", "3-8")},
                "BG",
            ),
            Leaf(
                "Puzzles",
                ("Jigsaw Puzzle", "Panorama Puzzle", "Wooden Puzzle"),
                (999, 3999),
                (PIECES,),
                ("Recycled Cardboard", "Wood"),
                (300, 1500),
                {"Age": AGES},
                "PZ",
            ),
            Leaf(
                "Building Sets",
                ("Building Set", "Marble Run", "Construction Kit", "Robot Kit"),
                (1999, 12999),
                (),
                ("Plastic", "Wood"),
                (300, 3000),
                {"Age": AGES},
                "BS",
            ),
            Leaf(
                "Plush Toys",
                ("Teddy Bear", "Plush Fox", "Plush Whale", "Bunny"),
                (999, 4499),
                (COLOUR,),
                ("Organic Cotton", "Recycled Polyester"),
                (100, 600),
                {"Age": ("0+", "3+")},
                "PT",
            ),
        ),
        glyph="blocks",
        hues=(50, 65, 40, 75),
    ),
)

MERCHANTS = (
    MerchantProfile(
        "Northwind Outfitters",
        "Durable everyday clothing and outdoor layers, designed in Portland.",
        ("Clothing", "Sports & Outdoors"),
    ),
    MerchantProfile(
        "Hearth & Home Co.",
        "Kitchenware, bedding and decor from independent makers.",
        ("Home & Kitchen", "Toys & Games"),
    ),
    MerchantProfile(
        "Voltage Electronics",
        "Audio, charging and smart-home gear, tested in our own workshop.",
        ("Electronics", "Home & Kitchen"),
    ),
    MerchantProfile(
        "Paper Lantern Books",
        "An independent bookshop with a soft spot for games and puzzles.",
        ("Books", "Toys & Games"),
    ),
    MerchantProfile(
        "Trailhead Supply",
        "Gear for runners, climbers and campers, picked by people who use it.",
        ("Sports & Outdoors", "Clothing", "Electronics"),
    ),
    MerchantProfile(
        "Moonlight Crafts",
        "Hand-poured candles and ceramics (awaiting approval).",
        ("Home & Kitchen",),
        active=False,
    ),
)

FIRST_NAMES = (
    "Ada",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Tomas",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Umar",
    "Varga",
    "Walsh",
    "Young",
    "Zhang",
)
