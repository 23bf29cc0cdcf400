"""The GraphQL schema of creditcare (strawberry types, queries, mutations, loaders)."""
