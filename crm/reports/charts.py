"""Charts drawn on the server as SVG (no script, no CDN): bars and lines, with labels."""

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD, FOOT = 640, 220, 36, 40
COLORS = ("#0e7490", "#d97706", "#7c3aed", "#16a34a", "#dc2626")


def _scale(values) -> float:
    peak = max([v for series in values for v in series] or [0])
    return peak if peak > 0 else 1


def bar_chart(labels: list[str], series: dict[str, list[float]], *, title: str) -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    names = list(series)
    peak = _scale(series.values())
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - PAD - FOOT
    group = inner_w / max(len(labels), 1)
    bar = max(group * 0.8 / max(len(names), 1), 1)
    parts = [_frame(title, peak)]
    for i, label in enumerate(labels):
        x0 = PAD + i * group + group * 0.1
        for k, name in enumerate(names):
            value = series[name][i]
            h = inner_h * value / peak
            parts.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{PAD + inner_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[k % len(COLORS)]}"><title>{escape(label)} · '
                f'{escape(name)}: {value:g}</title></rect>')
        if len(labels) <= 16 or i % max(len(labels) // 10, 1) == 0:
            parts.append(f'<text x="{x0 + group * 0.4:.1f}" y="{HEIGHT - FOOT + 14}" '
                         f'font-size="10" text-anchor="middle">{escape(label)}</text>')
    parts.append(_legend(names))
    return _svg(title, parts)


def line_chart(labels: list[str], series: dict[str, list[float]], *, title: str) -> Markup:
    """One line per series over the labels (days, months)."""
    names = list(series)
    peak = _scale(series.values())
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - PAD - FOOT
    step = inner_w / max(len(labels) - 1, 1)
    parts = [_frame(title, peak)]
    for k, name in enumerate(names):
        points = " ".join(f"{PAD + i * step:.1f},{PAD + inner_h - inner_h * v / peak:.1f}"
                          for i, v in enumerate(series[name]))
        parts.append(f'<polyline points="{points}" fill="none" stroke-width="2" '
                     f'stroke="{COLORS[k % len(COLORS)]}"><title>{escape(name)}</title>'
                     f'</polyline>')
    every = max(len(labels) // 8, 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text x="{PAD + i * step:.1f}" y="{HEIGHT - FOOT + 14}" '
                         f'font-size="10" text-anchor="middle">{escape(label)}</text>')
    parts.append(_legend(names))
    return _svg(title, parts)


def _frame(title: str, peak: float) -> str:
    base = HEIGHT - FOOT
    return (f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" stroke="#999"/>'
            f'<text x="{PAD}" y="{PAD - 12}" font-size="10" fill="#666">{peak:g}</text>'
            f'<line x1="{PAD}" y1="{PAD}" x2="{WIDTH - PAD}" y2="{PAD}" stroke="#eee"/>')


def _legend(names: list[str]) -> str:
    return "".join(
        f'<rect x="{PAD + k * 120}" y="{HEIGHT - 16}" width="10" height="10" '
        f'fill="{COLORS[k % len(COLORS)]}"/><text x="{PAD + k * 120 + 14}" y="{HEIGHT - 7}" '
        f'font-size="11">{escape(name)}</text>' for k, name in enumerate(names))


def _svg(title: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" style="width:100%;height:auto" class="chart">'
        f'<title>{escape(title)}</title>{"".join(parts)}</svg>')


def pivot(rows, label_of, series_of, value_of) -> tuple[list[str], dict[str, list[float]]]:
    """Rows to a bar chart's labels and series: one label per ``label_of(row)``, one series
    per ``series_of(row)``, each cell the sum of ``value_of(row)`` (0 where none)."""
    labels, names, cells = [], [], {}
    for row in rows:
        label, name = label_of(row), series_of(row)
        if label not in labels:
            labels.append(label)
        if name not in names:
            names.append(name)
        cells[label, name] = cells.get((label, name), 0) + value_of(row)
    return labels, {name: [cells.get((label, name), 0) for label in labels] for name in names}
