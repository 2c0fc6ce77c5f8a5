"""The data layer: the spec's schema, engines, migrations and portable queries."""
