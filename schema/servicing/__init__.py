"""Servicing in the schema: service contacts, follow-ups and the revisit schedule (R-S1 … R-S3, R-I2, R-I3)."""
