"""Population statistics for planning, under statistical disclosure control.

``router`` (``GET /v1/statistics/population``) lives in ``app.statistics.router``; the
disclosure control itself, pure functions, in ``app.statistics.disclosure``.
"""
