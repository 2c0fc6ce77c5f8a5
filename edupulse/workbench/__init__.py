"""The workbench: parameterised notebooks run with papermill and tracked in MLflow."""
