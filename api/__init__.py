"""creditcare: a headless GraphQL API for a lender's credit-customer maintenance."""
