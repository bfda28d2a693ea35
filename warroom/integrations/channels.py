"""What each kind of chat webhook wants to receive: the payload for one outbox message.

The messages are markdown as the runbook writes them (`**bold**`, "- " lists), with user text
escaped by render.py's filters (`\\|`, `&lt;`). Each channel gets that text in its own dialect:

- Slack incoming webhook: `blocks` of mrkdwn sections (3,000 characters each, at most 50)
  plus the top-level `text` Slack shows in notifications. mrkdwn bold is `*x*`, and `&`, `<`,
  `>` must be entities (so `<!channel>` typed by someone cannot ping a channel).
- Discord webhook: `content`, at most 2,000 characters (longer text is cut, saying so), and
  `allowed_mentions` empty so that "@everyone" in a note pings nobody.
- Microsoft Teams workflow webhook: a message with an Adaptive Card, one TextBlock per line
  (Teams' TextBlock markdown ignores single line breaks).
- Generic webhook: JSON with the raw markdown and the idempotency key (also sent as the
  `Idempotency-Key` header), so a receiver can drop a repeat.

Pure functions: no network here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from warroom.integrations.settings import ChannelType
from warroom.store.outbox import OutboxItem

__all__ = [
    "DISCORD_LIMIT",
    "SLACK_SECTION_LIMIT",
    "Outgoing",
    "build_payload",
    "discord_payload",
    "plain_text",
    "slack_mrkdwn",
    "slack_payload",
    "teams_payload",
    "webhook_payload",
]

SLACK_SECTION_LIMIT = 3000
SLACK_MAX_BLOCKS = 50
SLACK_TEXT_LIMIT = 39_000
DISCORD_LIMIT = 2000
TEAMS_TEXT_LIMIT = 20_000
TRUNCATED = "… (cut: the full message is in the war room's timeline)"

# What render.py's filters escape: a backslash before ASCII punctuation, and three entities.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_ENTITY_ONLY = re.compile(r"&(lt|gt|amp);")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BULLET = re.compile(r"^(\s*)[-*+] ", re.MULTILINE)


@dataclass(frozen=True)
class Outgoing:
    """A request body (JSON) and the headers that go with it."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def _unescape(match: re.Match[str]) -> str:
    if match[1] is not None:
        return match[1]
    return _ENTITIES[match[2]]


def plain_text(text: str) -> str:
    """The message without markdown's escapes: what a reader should see, character for character."""
    return _ESCAPED.sub(_unescape, text)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED) - 1].rstrip() + "\n" + TRUNCATED


def slack_mrkdwn(text: str) -> str:
    """The message in Slack's mrkdwn: `*bold*`, "•" bullets, `&`, `<`, `>` as entities."""
    out = plain_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _BOLD.sub(r"*\1*", out)
    return _BULLET.sub(r"\1• ", out)


def _chunks(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a piece: cut it
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [" "]


def slack_payload(text: str) -> dict[str, Any]:
    mrkdwn = slack_mrkdwn(text.strip())
    pieces = _chunks(mrkdwn, SLACK_SECTION_LIMIT)
    if len(pieces) > SLACK_MAX_BLOCKS:
        pieces = [*pieces[: SLACK_MAX_BLOCKS - 1], TRUNCATED]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": p}} for p in pieces]
    return {"text": _cut(mrkdwn, SLACK_TEXT_LIMIT), "blocks": blocks}


def discord_payload(text: str) -> dict[str, Any]:
    # Discord's markdown honours the backslash escapes but shows entities as typed.
    content = _ENTITY_ONLY.sub(lambda m: _ENTITIES[m[1]], text.strip())
    return {"content": _cut(content, DISCORD_LIMIT), "allowed_mentions": {"parse": []}}


def teams_payload(text: str) -> dict[str, Any]:
    lines = _cut(plain_text(text.strip()), TEAMS_TEXT_LIMIT).split("\n")
    body: list[dict[str, Any]] = []
    gap = False
    for line in lines:
        if not line.strip():
            gap = True
            continue
        block: dict[str, Any] = {"type": "TextBlock", "text": line, "wrap": True}
        if not body:
            block.update(weight="Bolder", size="Medium")
        else:
            block["spacing"] = "Medium" if gap else "None"
        body.append(block)
        gap = False
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def webhook_payload(incident_id: str, kind: str, text: str, key: str) -> dict[str, Any]:
    return {"incident": incident_id, "kind": kind, "text": text, "idempotency_key": key}


def build_payload(channel_type: ChannelType, item: OutboxItem) -> Outgoing:
    """The request for `item` on a channel of `channel_type`."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if channel_type is ChannelType.SLACK:
        return Outgoing(slack_payload(item.text), headers)
    if channel_type is ChannelType.DISCORD:
        return Outgoing(discord_payload(item.text), headers)
    if channel_type is ChannelType.TEAMS:
        return Outgoing(teams_payload(item.text), headers)
    headers["Idempotency-Key"] = item.idempotency_key
    body = webhook_payload(item.incident_id, item.kind, item.text, item.idempotency_key)
    return Outgoing(body, headers)
