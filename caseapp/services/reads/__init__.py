"""Read models: task lists, case views, the leader overview, reference lists; no writes."""
