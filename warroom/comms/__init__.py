"""Communications: jinja2 templates (templates/*.md.j2), safe rendering, the review export.

Nothing here imports Textual or httpx: comms sits between the store/domain and the edges.
"""
