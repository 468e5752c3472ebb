"""Recurring background jobs: what runs, how each run is recorded, and what operators see.

A job is a plain function that claims its own work from rows and returns how many items it
handled; any number of processes on any number of hosts may run the same jobs at once (each
item is claimed in the database, so it is done once). This package wraps APScheduler to run
them on intervals or daily, in a web process or a separate ``lexflow scheduler`` process,
and keeps one status row per job (last run, next run, items handled, failures) for the admin
page and ``lexflow scheduler status``. Nothing lives only in memory: every job starts with a
run at start-up, so work that came due while everything was down is done first.
"""

from .jobs import Job, JobOutcome, run_job
from .records import JobStatus, SchedulerJob, job_statuses
from .runner import JobScheduler

__all__ = [
    "Job",
    "JobOutcome",
    "JobScheduler",
    "JobStatus",
    "SchedulerJob",
    "job_statuses",
    "run_job",
]
