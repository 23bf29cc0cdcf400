"""Benchmarks of creditcare.

``python -m bench`` runs the side-by-side benchmark (creditcare against PostGraphile on the same
PostgreSQL data: the portfolio page per system, plus SQLite, then the workload mix of issue 9,
bulk regrade and the authorization cost); see bench/README.md. Modules: ``loader`` (data),
``servers`` (tools and server processes), ``pages`` (the page queries, cursors, equality),
``mix`` (the workload mix: documents, normalisers, rotations, equality, read paths), ``wrk``
(load), ``measure`` (CPU, memory, SQL statements), ``report`` (tables and JSON), ``run`` (the
order of work).
"""
