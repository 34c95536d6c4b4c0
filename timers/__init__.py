"""Entry points for time: the RQ worker, its jobs, scheduling, and the embedded sweeper."""
