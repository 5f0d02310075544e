"""The dashboard's chart as geometry for a server-rendered SVG (no JavaScript, no inline style:
the page's CSP allows only 'self'; colours come from classes in static/css/deadlines.css)."""

from __future__ import annotations

from dataclasses import dataclass

from deadlines.selectors import AT_RISK, LATE, ON_TIME, STATE_LABELS, Level

BAR_WIDTH = 560
BAR_HEIGHT = 26
ROW_GAP = 14
LABEL_WIDTH = 110
COUNT_WIDTH = 60
STATES = (ON_TIME, AT_RISK, LATE)


@dataclass(frozen=True)
class Segment:
    state: str
    label: str
    count: int
    x: int
    width: int


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    y: int
    text_y: int
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bar_x: int
    count_x: int
    bars: list[Bar]
    legend: list[tuple[str, str, int]]  # (state, label, x)
    legend_y: int


def build(levels: list[Level]) -> Chart | None:
    """One horizontal stacked bar per level: on time, at risk, late; all bars on one scale."""
    if not levels:
        return None
    biggest = max(sum(level.counts.values()) for level in levels) or 1
    bars = []
    for index, level in enumerate(levels):
        counts = level.counts
        y = index * (BAR_HEIGHT + ROW_GAP)
        x = LABEL_WIDTH
        segments = []
        for state in STATES:
            width = round(BAR_WIDTH * counts[state] / biggest)
            if counts[state]:
                segments.append(Segment(state, str(STATE_LABELS[state]), counts[state], x, max(width, 2)))
            x += width
        bars.append(Bar(level.label, sum(counts.values()), y, y + BAR_HEIGHT // 2 + 5, segments))
    legend_y = len(levels) * (BAR_HEIGHT + ROW_GAP) + 8
    legend = [(state, str(STATE_LABELS[state]), LABEL_WIDTH + i * 170) for i, state in enumerate(STATES)]
    return Chart(
        width=LABEL_WIDTH + BAR_WIDTH + COUNT_WIDTH,
        height=legend_y + 20,
        bar_x=LABEL_WIDTH,
        count_x=LABEL_WIDTH + BAR_WIDTH + 8,
        bars=bars,
        legend=legend,
        legend_y=legend_y,
    )
