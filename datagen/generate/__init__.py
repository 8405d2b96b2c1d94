"""generate: the synthetic shop, drawn with numpy and Arrow.

The first stage of the pipeline. ``plan(params)`` is its one entry point:
dimensions, the timed orders and any block of order lines, byte for byte
the same for a seed whatever the blocks. Never imports a database driver;
the warehouse stage loads what it draws.

- ``planted``: every constant of the planted structure, with its reason;
- ``rng``: random streams at fixed positions per entity;
- ``dates``, ``products``, ``customers``, ``orders``, ``lines``: the
  entities, in the order they are drawn;
- ``truth``: what was planted, as rows of ``<schema>_truth``;
- ``plan``: the whole build's plan.
"""

from .plan import Plan, plan

__all__ = ["Plan", "plan"]
