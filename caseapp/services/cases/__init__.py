"""Case commands: submit, complete a task, fire deadlines, recompute; each one unit of work."""
