"""Fairness audits of risk lists: group metrics at a list size, disparities against a reference
group with bootstrap intervals and verdicts, small-cell suppression, and mitigation side by side.

Sensitive attributes reach the audit as their own argument, never as model inputs.
"""
