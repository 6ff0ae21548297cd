"""Deal desk: contract valuation, the rule evaluators, and reads for the dashboard."""
