"""models: statistical models of the shop's customers, fitted in memory.

Pure numpy, scipy and pandas: a model takes arrays or data frames and
returns plain values, frames and frozen parameter records; it never reads a
database (the warehouse, which may import this room, feeds it and writes
what it returns) and it imports nothing of the package but the ground floor
(``datagen.errors``).

- ``clv``: probabilistic customer lifetime value, the BG/NBD model of
  repeat purchases (Fader, Hardie & Lee 2005) with the Gamma-Gamma model
  of spend (Fader & Hardie 2013): the calibration summary of a customer's
  purchases, the fits by maximum likelihood, P(alive), the expected
  purchases over a coming period and the predicted value.
"""
