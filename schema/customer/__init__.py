"""The customer domain of the schema: types, filters, queries and mutations."""
