"""Reference data and validators: code lists, size rules, identifier check characters."""
