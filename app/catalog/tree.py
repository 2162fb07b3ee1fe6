"""The category tree: its nodes for navigation, finding a category and a category's path."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog.models import Category


class CategoryNotFound(LookupError):
    """No category has that slug."""


@dataclass(frozen=True)
class CategoryNode:
    """A category with its children, for navigation."""

    id: int
    name: str
    slug: str
    description: str = ""
    parent_id: int | None = None
    children: tuple[CategoryNode, ...] = ()


def category_tree(session: Session) -> list[CategoryNode]:
    """Top-level categories with their children, ordered for navigation (two queries at most)."""
    categories = session.scalars(
        sa.select(Category).order_by(Category.position, Category.name)
    ).all()
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    return [
        category_node(category, tuple(map(category_node, children.get(category.id, []))))
        for category in categories
        if category.parent_id is None
    ]


def category_node(category: Category, children: tuple[CategoryNode, ...] = ()) -> CategoryNode:
    """The plain, cacheable form of a category."""
    return CategoryNode(
        category.id,
        category.name,
        category.slug,
        category.description,
        category.parent_id,
        children,
    )


def find_category(tree: list[CategoryNode], slug: str) -> tuple[CategoryNode, CategoryNode | None]:
    """The category with `slug` in the tree, and its parent; raises CategoryNotFound."""
    for top in tree:
        if top.slug == slug:
            return top, None
        for child in top.children:
            if child.slug == slug:
                return child, top
    raise CategoryNotFound(slug)


def category_path(session: Session, category: Category) -> list[str]:
    """Names from the top of the tree down to `category`, e.g. ["Clothing", "T-shirts"]."""
    parent = session.get(Category, category.parent_id) if category.parent_id else None
    return [parent.name, category.name] if parent else [category.name]
