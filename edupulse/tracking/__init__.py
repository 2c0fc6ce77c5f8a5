"""MLflow tracking: runs, promotion into model_metadata, reproduction."""
