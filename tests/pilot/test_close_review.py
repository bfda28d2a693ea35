"""Closing from the war room: the two review fields the record cannot know (issue 8)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label, TextArea

from warroom.domain.model import Status
from warroom.tui.screens.close import CloseScreen


async def test_the_close_dialog_asks_for_revenue_impact_and_the_review_meeting(
    make_app, store, clock
):
    incident = store.declare("Payments failing", 1)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(minutes=40)
        await pilot.press("f10")
        assert isinstance(app.screen, CloseScreen)
        labels = [str(label.content) for label in app.screen.query(Label)]
        assert "Revenue impact" in labels
        assert "Review meeting (date and time)" in labels
        app.screen.query_one("#revenue_impact", TextArea).text = "~$12k | 40 min of bookings"
        app.screen.query_one("#review_meeting", TextArea).text = "2026-11-30 15:00 UTC"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, CloseScreen)
    closed = store.get(incident.id)
    assert closed.status is Status.CLOSED
    assert closed.review.revenue_impact == "~$12k | 40 min of bookings"
    assert closed.review.review_meeting == "2026-11-30 15:00 UTC"
    assert closed.review_path is not None
    review = Path(closed.review_path).read_text(encoding="utf-8")
    assert "- **Revenue Impact:** ~$12k \\| 40 min of bookings\n" in review
    assert "**Review Meeting:** 2026-11-30 15:00 UTC\n" in review


async def test_the_close_dialog_shows_saved_answers_for_the_new_fields(make_app, store):
    from warroom.domain.model import ReviewNotes

    incident = store.declare("Payments failing", 1)
    store.save_review_notes(
        incident.id, ReviewNotes(revenue_impact="none", review_meeting="Monday 10:00")
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f10")
        assert isinstance(app.screen, CloseScreen)
        assert app.screen.query_one("#revenue_impact", TextArea).text == "none"
        assert app.screen.query_one("#review_meeting", TextArea).text == "Monday 10:00"
        assert app.screen.focused is app.screen.query_one("#root_cause", TextArea)
