"""Long work: operations (and, later, the job queue and worker)."""
