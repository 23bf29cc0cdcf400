"""Authorization: Casbin policies owned by compliance, turned into cached per-subject decisions."""
