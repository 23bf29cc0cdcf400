"""The customers list's ``where`` and ``orderBy`` inputs, derived from ``Customer``'s field declarations."""

from __future__ import annotations

from schema.customer.types import CUSTOMER_READS
from schema.search_inputs import order_input, revealed_coordinates, searchable, where_input

CustomerWhere = where_input(
    CUSTOMER_READS, "CustomerWhere", "Which customers: every given condition must hold.", __name__
)
CustomerOrderBy = order_input(CUSTOMER_READS, "CustomerOrderBy", "One sort key: set exactly one field.", __name__)
# The SQL of every filter and sort key, for the services.
CUSTOMER_SEARCH = searchable(CUSTOMER_READS)
# What each filter or sort field reveals, as the schema coordinate whose read rule governs it.
FIELD_COORDINATES = revealed_coordinates(CUSTOMER_READS)
