"""One status row per job, shared by every process that runs it (last run wins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..database import Database
from ..models import Base


class SchedulerJob(Base):
    """The latest run of a job by any process, and its totals since the row was created."""

    __tablename__ = "scheduler_job"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(10))  # running | ok | failed
    last_handled: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_runner: Mapped[str | None] = mapped_column(String(120))
    next_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    total_handled: Mapped[int] = mapped_column(BigInteger, default=0)


@dataclass(frozen=True)
class JobStatus:
    name: str
    description: str
    schedule: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None
    last_handled: int
    last_error: str | None
    last_runner: str | None
    next_run_at: datetime | None
    runs: int
    failures: int
    total_handled: int


def job_row(session: Session, name: str) -> SchedulerJob:
    """The job's row, created on first use (two processes creating it race on the key)."""
    row = session.get(SchedulerJob, name)
    if row is None:
        row = SchedulerJob(name=name, last_handled=0, runs=0, failures=0, total_handled=0)
        session.add(row)
        session.flush()
    return row


def job_statuses(db: Database, jobs: list) -> list[JobStatus]:
    """Every known job with its recorded status (jobs never run show empty figures)."""
    with db.read() as session:
        rows = {row.name: row for row in session.execute(select(SchedulerJob)).scalars()}
    statuses = []
    for job in jobs:
        row = rows.get(job.name)
        statuses.append(
            JobStatus(
                name=job.name,
                description=job.description,
                schedule=job.schedule_text(),
                last_started_at=row.last_started_at if row else None,
                last_finished_at=row.last_finished_at if row else None,
                last_status=row.last_status if row else None,
                last_handled=row.last_handled if row else 0,
                last_error=row.last_error if row else None,
                last_runner=row.last_runner if row else None,
                next_run_at=row.next_run_at if row else None,
                runs=row.runs if row else 0,
                failures=row.failures if row else 0,
                total_handled=row.total_handled if row else 0,
            )
        )
    return statuses
