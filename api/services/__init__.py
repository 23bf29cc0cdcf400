"""Use cases: one module per domain; they own validation, transactions' contents and history."""
