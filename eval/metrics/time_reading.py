"""How well the query's time is read: the stated publication window filtered exactly, no filter on topic dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from eval.questions import Question
from indexer.models import TimeReading
from indexer.text.timeexpr import read_time

TIME_METRICS = ("time_filter_right", "time_false_filter", "n_published", "n_date_topic")


def filters_window(reading: TimeReading, window: tuple[dt.date, dt.date]) -> bool:
    """Whether the reading restricts the search to exactly ``window``."""
    return reading.filter and (reading.date_from, reading.date_to) == window


def time_reading(questions: Sequence[Question], *, today: dt.date | None = None) -> dict[str, float | int | None]:
    """``time_filter_right``: the share of questions stating a publication time whose reading
    filters to exactly that window (None when there are none); ``time_false_filter``: how many
    questions whose date is their topic got a filter. Each question is read against its own
    ``now``, else ``today``, else the clock.
    """
    right = false_filters = stated = topical = 0
    for question in questions:
        day = question.today or today or dt.date.today()
        window = question.window
        if window is None and not question.date_topic:
            continue
        reading = read_time(question.question, day)
        if window is not None:
            stated += 1
            right += filters_window(reading, window)
        else:
            topical += 1
            false_filters += reading.filter
    return {
        "time_filter_right": right / stated if stated else None,
        "time_false_filter": false_filters,
        "n_published": stated,
        "n_date_topic": topical,
    }
