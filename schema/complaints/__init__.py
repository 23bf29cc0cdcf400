"""Complaints in the schema: intake, investigation, handling, compensation and review (R-Q1 … R-Q4)."""
