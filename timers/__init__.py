"""Business calendar, SLA due times, deadline scheduling and the sweeper."""
