"""Extension points of creditcare; depends on the standard library and pluggy only."""
