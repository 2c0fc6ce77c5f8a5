"""EduPulse: a student early-warning research workbench.

Importing the package does no I/O; every side effect lives in the module that owns it.
"""

__version__ = "0.1.0"
