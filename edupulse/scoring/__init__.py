"""Scoring: the pinned active model -> risk scores, categories, confidence, risk_factors.

Public API: `score(engine, as_of, tracking_uri=...)` (score.py), `risk_list(...)` (risk_list.py),
`ScoringConfig` (config.py). Importing the package does no work.
"""
