"""Benchmarks of creditcare.

``python -m bench`` runs the side-by-side portfolio-page benchmark (creditcare against PostGraphile
on the same PostgreSQL data, plus SQLite, bulk regrade and the authorization cost); see
bench/README.md. Modules: ``loader`` (data), ``servers`` (tools and server processes), ``pages``
(the page queries, cursors, equality), ``wrk`` (load), ``measure`` (CPU, memory, SQL statements),
``report`` (table and JSON), ``run`` (the order of work).
"""
