"""The incident as the rest of warroom sees it: plain, immutable values."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

Now = Callable[[], datetime]
"""Returns the current time, timezone-aware UTC. Injected everywhere; tests pass a fake."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class Status(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATING = "mitigating"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_active(self) -> bool:
        """Clocks run only while the incident is being worked on."""
        return self not in (Status.RESOLVED, Status.CLOSED)

    @classmethod
    def parse(cls, text: str) -> Status:
        wanted = text.strip().casefold()
        matches = [s for s in cls if s.value.startswith(wanted)] if wanted else []
        if len(matches) != 1:
            known = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown status {text!r} (one of: {known})")
        return matches[0]


class EntryKind(enum.StrEnum):
    NOTE = "note"
    FINDING = "finding"
    ACTION = "action"
    DECISION = "decision"
    TODO = "todo"
    # Automatic entries, written by warroom itself.
    DECLARED = "declared"
    SEVERITY = "severity"
    STATUS = "status"
    ROLE = "role"
    CHECKLIST = "checklist"
    UPDATE = "update"
    ACK = "ack"
    CLOSED = "closed"
    SCENARIO = "scenario"  # a playbook scenario attached: its checklist sections added
    MITIGATION = "mitigation"  # a mitigation strategy started or applied
    ROOT_CAUSE = "root_cause"  # the root cause category chosen from the playbook
    DETECTED = "detected"  # the detection time corrected
    SNOOZE = "snooze"  # a clock's alerts snoozed, with the reason

    @property
    def is_automatic(self) -> bool:
        return self not in _TYPED_KINDS


_TYPED_KINDS = frozenset(
    {EntryKind.NOTE, EntryKind.FINDING, EntryKind.ACTION, EntryKind.DECISION, EntryKind.TODO}
)


class UpdateKind(enum.StrEnum):
    """Which status update was sent: each restarts its own clock."""

    INTERNAL = "internal"
    STAKEHOLDER = "stakeholder"
    CUSTOMER = "customer"

    @classmethod
    def leading(cls, word: str) -> UpdateKind | None:
        """The kind that the first word of `/update WORD ...` names, or None if it is text.

        A kind is named by its word, its plural or its short form ("stakeholders", "cust").
        A word one typo away from one ("stakeholdr") is a ValueError: read as the start of an
        internal update's text, it would restart the wrong clock without a word. Any other
        word ("custom", "Internet") starts the text of an internal update.
        """
        wanted = word.strip().casefold()
        for kind in cls:
            if wanted in (kind.value, f"{kind.value}s", _SHORT_UPDATE_KINDS[kind.value]):
                return kind
        for kind in cls:
            if any(_one_edit_apart(wanted, name) for name in (kind.value, f"{kind.value}s")):
                raise ValueError(f"unknown update kind {word!r}: did you mean {kind.value}?")
        return None


_SHORT_UPDATE_KINDS = {"internal": "int", "stakeholder": "stake", "customer": "cust"}


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether one typo turns `a` into `b` (not equal): a letter wrong, missing, added, or two
    neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            if len(a) < len(b):
                return a[i:] == b[i + 1 :]
            swapped = a[i + 1 : i + 2] + a[i : i + 1] == b[i : i + 2] and a[i + 2 :] == b[i + 2 :]
            return a[i + 1 :] == b[i + 1 :] or swapped
    return True  # b is a with one letter added at the end


@dataclass(frozen=True, slots=True)
class ClockValues:
    """The clock minutes of the incident's severity, as they were when it took that severity.

    Captured at declaration and at every severity change, so that editing the playbook
    while an incident is open does not move deadlines that were already announced.
    `customer_comms_minutes` is None when customers need not be told at this severity.
    """

    acknowledge_minutes: int
    resolve_minutes: int
    internal_update_minutes: int
    stakeholder_update_minutes: int
    customer_comms_minutes: int | None


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    title: str
    severity: int
    status: Status
    impact_users: str
    impact_features: str
    detected_at: datetime
    declared_at: datetime
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_internal_update_at: datetime | None = None
    last_stakeholder_update_at: datetime | None = None
    last_customer_update_at: datetime | None = None
    review: ReviewNotes = field(default_factory=lambda: ReviewNotes())
    review_path: str | None = None
    # The playbook's key of the root cause category ("recent_deployment"), once chosen.
    root_cause_category: str | None = None
    # None for incidents recorded before clock values were captured: the playbook decides.
    clock_values: ClockValues | None = None
    # When users were affected, if recorded; otherwise detection to mitigation is assumed.
    impact_start: datetime | None = None
    impact_end: datetime | None = None
    # The ID it had in the database it was imported from, when that one was taken here.
    original_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED

    @property
    def started_at(self) -> datetime:
        """The incident's start: when it was detected (which may precede the declaration)."""
        return min(self.detected_at, self.declared_at)

    def elapsed(self, now: datetime) -> float:
        """Seconds from start to now, or to resolution once resolved."""
        end = self.resolved_at or self.closed_at or now
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class ReviewNotes:
    """What the IC writes at close: what cannot be derived from the record."""

    root_cause: str = ""
    contributing_factors: str = ""
    resolution: str = ""
    verification: str = ""
    went_well: str = ""
    improvements: str = ""
    lessons: str = ""
    prevention_short_term: str = ""
    prevention_long_term: str = ""
    monitoring: str = ""
    revenue_impact: str = ""
    review_meeting: str = ""  # when the review meeting is (free text: date and time)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    id: int
    incident_id: str
    at: datetime
    logged_at: datetime
    kind: EntryKind
    text: str
    author: str
    pinned: bool = False
    # Structured facts of automatic entries, e.g. {"from": 2, "to": 1} for a severity change.
    data: dict[str, str | int | None] = field(default_factory=dict)
    # Corrections (schema 8), oldest first: the entry's own text is never rewritten.
    revisions: tuple[Revision, ...] = ()

    @property
    def edit(self) -> Revision | None:
        """The latest edit, if the text was corrected."""
        return next((r for r in reversed(self.revisions) if r.kind == "edit"), None)

    @property
    def strike(self) -> Revision | None:
        """The strike, if the entry was struck out (with its reason)."""
        return next((r for r in reversed(self.revisions) if r.kind == "strike"), None)

    @property
    def shown_text(self) -> str:
        """The text as corrected (the latest edit), else as logged."""
        edit = self.edit
        return edit.new_text if edit is not None else self.text


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    role: str
    person: str
    assigned_at: datetime
    assigned_by: str
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    id: int
    section: str
    position: int
    text: str
    done_at: datetime | None = None
    done_by: str | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True, slots=True)
class ActionItem:
    id: int
    incident_id: str
    text: str
    owner: str
    priority: str
    due_at: datetime
    status: str = "Open"


@dataclass(frozen=True, slots=True)
class Revision:
    """A correction of a timeline entry (schema 8): an edit (new text) or a strike (struck
    out, with the reason). The entry keeps its original text; this records who, when, what."""

    id: int
    entry_id: int
    at: datetime
    author: str
    kind: str  # "edit" or "strike"
    old_text: str
    new_text: str
    reason: str = ""
