"""Synthetic e-commerce warehouse: parameters, generator, loader, database."""

__version__ = "0.1.0"
