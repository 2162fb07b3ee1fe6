"""A small, believable store for the browser tests, built once through the real services."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import Flask
from PIL import Image, ImageDraw

from app.catalog.models import ProductImage
from app.database import db
from app.media.services import store_image
from app.search.services import refresh_vocabulary
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.fixtures import truncate_all


@dataclass(frozen=True)
class Store:
    """What the tests need to know about the seeded store."""

    category: str
    category_slug: str
    product: str
    product_slug: str
    variant_ids: dict[str, int]
    variant_image_key: str
    search_term: str


# (name, subcategory, merchant, prices, stock, attributes)
SIMPLE_PRODUCTS = [
    ("Heavyweight Pocket Tee", "T-shirts", 0, 2400, 14, {"Material": "Cotton"}),
    ("Striped Breton Tee", "T-shirts", 1, 2900, 6, {"Material": "Cotton"}),
    ("Linen Summer Tee", "T-shirts", 1, 3400, 0, {"Material": "Linen"}),
    ("Merino Crew Tee", "T-shirts", 0, 4900, 3, {"Material": "Merino wool"}),
    ("Graphic Mountain Tee", "T-shirts", 2, 2200, 20, {"Material": "Cotton"}),
    ("Zip-up Fleece Hoodie", "Hoodies", 0, 5900, 9, {"Material": "Recycled polyester"}),
    ("Classic Pullover Hoodie", "Hoodies", 1, 4500, 12, {"Material": "Cotton"}),
    ("Oversized Garden Hoodie", "Hoodies", 2, 5200, 2, {"Material": "Cotton"}),
    ("Stoneware Coffee Mug", "Mugs", 1, 1600, 30, {"Material": "Stoneware"}),
    ("Speckled Espresso Cup", "Mugs", 1, 1200, 18, {"Material": "Stoneware"}),
    ("Enamel Camp Mug", "Mugs", 2, 1400, 0, {"Material": "Enamel"}),
    ("Double-walled Glass Mug", "Mugs", 0, 1900, 7, {"Material": "Glass"}),
    ("Brass Desk Lamp", "Lamps", 0, 8900, 4, {"Material": "Brass"}),
    ("Paper Lantern Pendant", "Lamps", 1, 3900, 11, {"Material": "Rice paper"}),
    ("Walnut Bedside Lamp", "Lamps", 2, 7400, 5, {"Material": "Walnut"}),
    ("The Quiet Harbour", "Fiction", 2, 1800, 25, {"Format": "Paperback"}),
    ("A Map of Small Rivers", "Fiction", 2, 2100, 8, {"Format": "Hardback"}),
    ("Letters from the Orchard", "Fiction", 2, 1600, 1, {"Format": "Paperback"}),
    ("Field Guide to Teapots", "Non-fiction", 2, 2600, 10, {"Format": "Hardback"}),
    ("Cooking with Cast Iron", "Non-fiction", 1, 3200, 6, {"Format": "Paperback"}),
    ("Wireless Studio Headphones", "Headphones", 0, 12900, 5, {"Connection": "Bluetooth"}),
    ("Wired Monitor Headphones", "Headphones", 0, 8900, 9, {"Connection": "3.5 mm jack"}),
    ("Kids' Volume-limited Headphones", "Headphones", 1, 3900, 0, {"Connection": "3.5 mm jack"}),
    ("Pocket Bluetooth Speaker", "Speakers", 0, 4900, 16, {"Connection": "Bluetooth"}),
    ("Bookshelf Speaker Pair", "Speakers", 1, 15900, 2, {"Connection": "Wired"}),
]

TREE = {
    "Clothing": ["T-shirts", "Hoodies"],
    "Home & Kitchen": ["Mugs", "Lamps"],
    "Books": ["Fiction", "Non-fiction"],
    "Electronics": ["Headphones", "Speakers"],
}
MERCHANTS = ["Juniper & Oak", "Northwind Goods", "Fernhill Books"]
PICTURE_COLOURS = {
    "navy": ((31, 52, 94), (226, 232, 240)),
    "rust": ((154, 52, 18), (254, 243, 199)),
    "sage": ((74, 105, 82), (240, 253, 244)),
    "ink": ((30, 41, 59), (248, 250, 252)),
}


def picture(colour: str) -> bytes:
    """A simple generated product photo: a garment-like shape on a plain background."""
    shape, background = PICTURE_COLOURS[colour]
    image = Image.new("RGB", (900, 900), background)
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(250, 180), (360, 130), (540, 130), (650, 180), (760, 320), (660, 380),
         (640, 320), (640, 780), (260, 780), (260, 320), (240, 380), (140, 320)],
        fill=shape,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def seed_store(app: Flask) -> Store:
    """Empty the database, then build categories, merchants, ~30 products, stock and images."""
    truncate_all(app)
    media_root = app.config["MEDIA_ROOT"]
    with app.app_context():
        merchants = [make_merchant(name) for name in MERCHANTS]
        categories = {}
        for position, (parent_name, children) in enumerate(TREE.items()):
            parent = make_category(parent_name)
            parent.position = position
            for child_name in children:
                categories[child_name] = make_category(child_name, parent=parent)
        for index, (name, child, merchant, price, stock, attributes) in enumerate(SIMPLE_PRODUCTS):
            make_product(
                merchant=merchants[merchant],
                category=categories[child],
                name=name,
                description=f"{name}, made to last and sold by {MERCHANTS[merchant]}.",
                prices=(price,),
                stock=stock,
                attributes=attributes,
                featured=index % 6 == 0,
            )
        lamp = make_product(
            merchant=merchants[0],
            category=categories["Lamps"],
            name="Ceramic Table Lamp",
            description="A glazed ceramic lamp with a linen shade.",
            prices=(6900, 7900),
            stock=(4, 9),
            options=({"Colour": "Sand"}, {"Colour": "Forest"}),
            attributes={"Material": "Ceramic"},
        )
        tee = make_product(
            merchant=merchants[1],
            category=categories["T-shirts"],
            name="Organic Cotton Tee",
            description="A soft organic cotton T-shirt, cut for everyday wear.",
            prices=(1800, 1900, 2100, 2300),
            stock=(12, 3, 0, 8),
            options=({"Size": "S"}, {"Size": "M"}, {"Size": "L"}, {"Size": "XL"}),
            attributes={"Material": "Organic cotton"},
            featured=True,
        )
        navy = store_image(picture("navy"), media_root=media_root)
        rust = store_image(picture("rust"), media_root=media_root)
        sage = store_image(picture("sage"), media_root=media_root)
        ink = store_image(picture("ink"), media_root=media_root)
        variants = {variant.name: variant.id for variant in tee.variants}
        db.session.add_all(
            [
                ProductImage(
                    product_id=tee.id, storage_key=navy.storage_key, width=navy.width,
                    height=navy.height, alt_text="Organic Cotton Tee in navy, laid flat",
                    position=0,
                ),
                ProductImage(
                    product_id=tee.id, variant_id=variants["XL"], storage_key=rust.storage_key,
                    width=rust.width, height=rust.height,
                    alt_text="Organic Cotton Tee in rust, laid flat", position=1,
                ),
                ProductImage(
                    product_id=lamp.id, storage_key=sage.storage_key, width=sage.width,
                    height=sage.height, alt_text="Ceramic Table Lamp with a linen shade",
                    position=0,
                ),
                ProductImage(
                    product_id=lamp.id, storage_key=ink.storage_key, width=ink.width,
                    height=ink.height, alt_text="Ceramic Table Lamp switched on at night",
                    position=1,
                ),
            ]
        )
        db.session.commit()
        refresh_vocabulary(db.session)
        db.session.commit()
        clothing = categories["T-shirts"].parent
        return Store(
            category=clothing.name,
            category_slug=clothing.slug,
            product=tee.name,
            product_slug=tee.slug,
            variant_ids=variants,
            variant_image_key=rust.storage_key,
            search_term="tee",
        )
