"""Temporal splits, model specs, training and evaluation.

`edupulse.modeling.splits` turns explicit dates into train/test splits with no label leakage;
the other modules (estimators, dataset, train, metrics) fit and evaluate models on them.
Importing this package does nothing else: each module is imported where it is used.
"""
