"""Weekly features as of a date -> student_features."""
