"""publish: ``make book``, from the executed notebooks to the site.

The last stage: ``book.build_book`` runs the warehouse notebook and the
chapters (``notebooks``, with papermill), keeps what has not changed
(``reuse``), and builds and swaps in the site (``website``, jupyter-book).
Needs only the parameters and the server: what the notebooks compute
comes from ``chapters`` and the warehouse, in their kernels.
"""
