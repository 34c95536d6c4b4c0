"""Leaders' figures: filters and scope, the aggregate queries, the tables and their exports."""
