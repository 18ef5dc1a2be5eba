"""Schedules: when the syncs run without a person or a webhook asking."""

SCHEDULES: list = []
