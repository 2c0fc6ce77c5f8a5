"""Reports for district staff: the equity report and the model card, from audit results."""
