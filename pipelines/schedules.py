"""The schedules: the month's deliveries land on the 5th, the warehouse and the extracts follow on the 6th."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from .jobs import build_and_publish_job, monthly_landing_job


def previous_month(day: dt.date) -> str:
    return f"{day.year - (day.month == 1)}-{(day.month - 2) % 12 + 1:02d}"


@dg.schedule(job=monthly_landing_job, cron_schedule="0 6 5 * *", execution_timezone="Asia/Shanghai",
             description="The monthly pull on the 5th at 06:00: the month that just closed")
def monthly_landing_schedule(context: dg.ScheduleEvaluationContext):
    previous = previous_month(context.scheduled_execution_time.date())
    return dg.RunRequest(run_key=previous, partition_key=previous)


monthly_publication_schedule = dg.ScheduleDefinition(
    job=build_and_publish_job, cron_schedule="0 6 6 * *", execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

SCHEDULES = [monthly_landing_schedule, monthly_publication_schedule]
