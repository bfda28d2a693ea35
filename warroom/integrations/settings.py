"""Where messages go: chat channels from `config.toml` and the environment.

    # ~/.config/warroom/config.toml (or the file named by WARROOM_CONFIG)
    company = "MaidConnect"                      # signs the customer messages
    status_page_url = "https://status.example.com"
    templates_dir = "templates"                  # your *.md.j2 (default: templates/ here)

    [[channels]]
    name = "ops-slack"
    type = "slack"                               # slack | discord | teams | webhook
    url_env = "WARROOM_SLACK_OPS"                # the URL is read from this variable...
    # url = "https://hooks.slack.com/services/..."   # ...or written here (keep the file private)
    # audience = "internal"                      # internal (default) | customers | all

A channel's audience decides which messages it gets: the runbook's internal messages
(declaration, status update, resolved) go to "internal" channels, its customer messages
(customer communication, resolution notice) to "customers" channels, and both to "all".
So an internal update never reaches a customer-facing channel, and a customer message is
not taken for sent because it reached the team's chat. The environment's channels below
are internal.

    [delivery]
    timeout_seconds = 10
    max_attempts = 8

Without a file, each of WARROOM_SLACK_WEBHOOK, WARROOM_DISCORD_WEBHOOK, WARROOM_TEAMS_WEBHOOK
and WARROOM_WEBHOOK defines a channel on its own, named "slack", "discord", "teams" and
"webhook" (a channel of the same name in the file wins).

Webhook URLs are secrets: anyone holding one can post to the channel. They are kept in
pydantic's `SecretStr` (shown as "**********"), never written to the database, the timeline,
exports, logs or error messages, and read from the environment only when a message is sent.
Error messages name the file, the field or the variable, never the value.
"""

from __future__ import annotations

import enum
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from warroom.comms.messages import DEFAULT_COMPANY, MessageKind
from warroom.config import config_file as config_path
from warroom.playbook.loader import dotted, locate

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "ENV_CHANNELS",
    "Audience",
    "Channel",
    "ChannelType",
    "ChannelUnavailable",
    "DeliveryOptions",
    "Settings",
    "SettingsError",
    "config_path",
    "load_settings",
]

TEMPLATES_ENV = "WARROOM_TEMPLATES"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class SettingsError(ValueError):
    """The settings cannot be used; `str()` is one "where: field: problem" line per problem."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems: tuple[str, ...] = (
            (problems,) if isinstance(problems, str) else tuple(problems)
        )
        super().__init__("\n".join(self.problems))


class ChannelUnavailable(SettingsError):
    """A channel's URL cannot be had right now (its variable is unset or not a URL)."""


class Audience(enum.StrEnum):
    """Who reads a channel, and so which messages it gets."""

    INTERNAL = "internal"
    CUSTOMERS = "customers"
    ALL = "all"

    def takes(self, kind: MessageKind) -> bool:
        wanted = Audience.CUSTOMERS if kind.is_customer_facing else Audience.INTERNAL
        return self in (wanted, Audience.ALL)


class ChannelType(enum.StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"
    WEBHOOK = "webhook"  # generic JSON, with an Idempotency-Key

    @property
    def min_interval(self) -> float:
        """Seconds between two posts to one webhook, under the service's rate limit."""
        return _MIN_INTERVAL[self]


# Slack: 1 message per second per webhook. Discord: 30 a minute per channel.
# Teams workflows: a few per second; one a second keeps a burst readable. Generic: no limit.
_MIN_INTERVAL = {
    ChannelType.SLACK: 1.0,
    ChannelType.DISCORD: 2.0,
    ChannelType.TEAMS: 1.0,
    ChannelType.WEBHOOK: 0.0,
}

ENV_CHANNELS: dict[str, ChannelType] = {
    "WARROOM_SLACK_WEBHOOK": ChannelType.SLACK,
    "WARROOM_DISCORD_WEBHOOK": ChannelType.DISCORD,
    "WARROOM_TEAMS_WEBHOOK": ChannelType.TEAMS,
    "WARROOM_WEBHOOK": ChannelType.WEBHOOK,
}
"""Environment variables that each define a channel, named after its type."""


def url_problem(value: str) -> str | None:
    """Why `value` cannot be a webhook URL, in words that do not repeat it; None if it can."""
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        return "is empty or contains spaces" if not value else "contains spaces"
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return "is not a URL (check the host and port)"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in _LOOPBACK:
        return None  # a local relay or a test server: the secret never leaves the machine
    if parts.scheme == "http":
        return "must be an https:// URL (http:// only for localhost)"
    return "must be an https:// URL"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Channel(_Model):
    """One place messages are posted to. Give `url` or `url_env`, not both."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    type: ChannelType
    url: SecretStr | None = None
    url_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    min_interval_seconds: float | None = Field(default=None, ge=0, le=3600)
    audience: Audience = Audience.INTERNAL

    @field_validator("url")
    @classmethod
    def _webhook_url(cls, url: SecretStr | None) -> SecretStr | None:
        problem = url_problem(url.get_secret_value()) if url is not None else None
        if problem:
            raise ValueError(problem)  # the message never repeats the value
        return url

    @model_validator(mode="after")
    def _one_url(self) -> Channel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give either url or url_env")
        return self

    @property
    def min_interval(self) -> float:
        if self.min_interval_seconds is not None:
            return self.min_interval_seconds
        return self.type.min_interval

    @property
    def url_source(self) -> str:
        """Where the URL comes from, for messages: "config.toml" or "$WARROOM_SLACK_OPS"."""
        return f"${self.url_env}" if self.url_env else "the config file"

    def resolve_url(self, environ: Mapping[str, str] | None = None) -> SecretStr:
        """The URL, at send time; ChannelUnavailable (naming the variable) if it cannot be had."""
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        value = (os.environ if environ is None else environ).get(self.url_env, "")
        if not value.strip():
            raise ChannelUnavailable(f"channel {self.name}: {self.url_env} is not set")
        problem = url_problem(value)
        if problem:
            raise ChannelUnavailable(f"channel {self.name}: {self.url_env} {problem}")
        return SecretStr(value.strip())


class DeliveryOptions(_Model):
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_attempts: int = Field(default=8, ge=1, le=100)


class Settings(BaseModel):
    """Channels and message options. Unknown top-level tables belong to other features."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channels: tuple[Channel, ...] = ()
    company: str = Field(default=DEFAULT_COMPANY, min_length=1)
    status_page_url: str = ""
    templates_dir: Path | None = None
    delivery: DeliveryOptions = DeliveryOptions()

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        names = [c.name for c in self.channels]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"channel {name!r} is defined twice")
        return self

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    def channels_for(self, kind: MessageKind) -> list[str]:
        """The channels whose audience reads `kind` (internal or customer messages)."""
        return [c.name for c in self.channels if c.audience.takes(kind)]

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        known = ", ".join(self.channel_names) or "none configured"
        raise SettingsError(f"no channel {name!r} (channels: {known})")

    def channel_problem(self, name: str, environ: Mapping[str, str] | None = None) -> str | None:
        """Why channel `name` cannot be posted to from here (for a compose screen to show);
        None when it can."""
        try:
            self.channel(name).resolve_url(environ)
        except SettingsError as exc:
            return str(exc)
        return None

    def template_environment(self) -> jinja2.Environment:
        """The jinja2 environment with the user's templates dir (if any) first."""
        from warroom.comms.render import create_environment

        return create_environment(user_templates=self.templates_dir)


def _problems(exc: ValidationError, text: str, where: str) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        name = dotted(loc)
        message = str(err["msg"]).removeprefix("Value error, ")
        line = locate(text, loc) if text else None
        place = f"{where}:{line}" if line else where
        problems.append(f"{place}: {name}: {message}" if name else f"{place}: {message}")
    return problems


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """The settings from `path` (default: `config_path()`) and the environment.

    A missing file is no error (the environment may define channels); a file that cannot be
    read or parsed, or a bad field, raises SettingsError naming the file, line and field.
    """
    env = os.environ if environ is None else environ
    file = Path(path).expanduser() if path is not None else config_path(env)
    where = str(file)
    text = ""
    data: dict[str, Any] = {}
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError(f"{where}: cannot read: {reason}") from None
    if text:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = re.search(r"\s*\(at line (\d+), column \d+\)", message)
            line = found.group(1) if found else "1"
            message = message.replace(found.group(0), "") if found else message
            raise SettingsError(f"{where}:{line}: {message}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_problems(exc, text, where)) from None

    extra: dict[str, Any] = {}
    defined = set(settings.channel_names)
    from_env = []
    for variable, kind in ENV_CHANNELS.items():
        value = env.get(variable, "").strip()
        if not value or kind.value in defined:
            continue
        problem = url_problem(value)
        if problem:
            raise SettingsError(f"{variable}: {problem}")
        from_env.append(Channel(name=kind.value, type=kind, url=SecretStr(value)))
    if from_env:
        extra["channels"] = (*settings.channels, *from_env)
    templates = env.get(TEMPLATES_ENV, "").strip()
    if templates:
        extra["templates_dir"] = Path(templates).expanduser()
    elif settings.templates_dir is not None:
        extra["templates_dir"] = (file.parent / settings.templates_dir.expanduser()).absolute()
    else:  # templates/ beside the config file, if there is one
        default = file.parent / "templates"
        if default.is_dir():
            extra["templates_dir"] = default
    return settings.model_copy(update=extra) if extra else settings


def drill_settings(settings: Settings, live: bool) -> Settings:
    """SETTINGS as a drill sees them: every message rendered marked DRILL; no channel to
    post to, unless the drill was started with --live-comms."""
    from warroom.comms.drill import drill_environment

    class DrillSettings(Settings):
        def channels_for(self, kind: MessageKind) -> list[str]:
            return super().channels_for(kind) if live else []

        def template_environment(self) -> Any:
            return drill_environment(super().template_environment())

    drill: Settings = DrillSettings.model_construct(
        **{name: getattr(settings, name) for name in Settings.model_fields}
    )
    return drill
