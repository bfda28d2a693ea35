"""One action table (tui/actions.py): keys, palette, help, slash-commands and the read-only
check are all generated from it, and every action has what each of them needs."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from textual.message import Message
from textual.widgets import Input

from warroom.config import keymap
from warroom.tui.actions import ACTIONS, BY_ID, SLASHES, WRITES, key_label
from warroom.tui.app import WarRoomApp
from warroom.tui.entry_grammar import EntryCommand, EntryError, parse_entry
from warroom.tui.screens.base import action_bindings
from warroom.tui.screens.help import command_rows, key_rows
from warroom.tui.screens.main import MainScreen


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda s: s.id)
def test_every_action_has_a_method_help_and_a_way_in(spec):
    # The war room's actions are MainScreen's; Textual's own (focus moves, the palette) the App's.
    owner = WarRoomApp if spec.on_app or not (spec.bound or spec.slashes) else MainScreen
    method = getattr(owner, f"action_{spec.method}", None)
    assert method is not None, f"no {owner.__name__}.action_{spec.method}"
    assert spec.title and spec.help
    assert spec.keys or spec.slashes, "no key and no slash-command: unreachable"
    if spec.slashes:  # the entry line passes what was typed after the name
        params = list(inspect.signature(method).parameters.values())[1:]
        assert params and params[0].default == "", f"action_{spec.method} takes no argument"
    if spec.keys:
        assert key_label(spec.keys)


def test_ids_and_slash_names_are_unique():
    assert len(BY_ID) == len(ACTIONS)
    names = [n for spec in ACTIONS for s in spec.slashes for n in (s.name, *s.aliases)]
    assert len(names) == len(set(names)) == len(SLASHES)
    keys = [k for spec in ACTIONS for k in spec.keys.split(",") if k]
    assert len(keys) == len(set(keys))


def test_bindings_palette_and_help_come_from_the_table():
    bound = {b.id: b for b in action_bindings(on_app=False) + action_bindings(on_app=True)}
    assert set(bound) == {s.id for s in ACTIONS if s.keys and s.bound}
    assert all(b.action == BY_ID[i].method for i, b in bound.items())
    labels = {s.id: key_label(s.keys) for s in ACTIONS if s.keys}
    assert {label for label, _ in key_rows(labels)} >= set(labels.values())
    usages = {usage for usage, _ in command_rows()}
    assert usages >= {s.usage for spec in ACTIONS for s in spec.slashes}


def test_read_only_refuses_exactly_the_writing_actions():
    assert {s.method for s in ACTIONS if s.writes} == WRITES
    assert {"declare", "severity", "close", "pin", "finding"} <= WRITES
    assert not WRITES & {"help", "checklist", "dependencies", "outbox", "switch"}


def test_slash_defaults():
    assert parse_entry("/unpin") == EntryCommand("pin", "off")
    assert parse_entry("/update") == EntryCommand("update", "internal")
    assert parse_entry("/sev 2") == EntryCommand("severity", "2")
    assert parse_entry("/f found it") == EntryCommand("finding", "found it")
    with pytest.raises(EntryError, match="did you mean /status"):
        parse_entry("/stauts resolved")


async def test_palette_lists_what_can_be_done_here(make_app, store):
    store.declare("Palette", 3)
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Help", "Dependencies", "Outbox"} <= titles
        assert not titles & {"Declare incident", "Change severity", "Pin entry"}


async def test_a_keymap_remaps_a_key_by_its_id(make_app, store):
    incident = store.declare("Remapped", 3)
    store.log(incident.id, "the one to pin")
    messages: list[Message] = []
    app = make_app(keymap={"pin": "ctrl+t"})
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.press("f7")  # no longer the pin key
        await pilot.pause()
        assert not any(e.pinned for e in store.timeline(incident.id))
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert [e.text for e in store.timeline(incident.id) if e.pinned] == ["the one to pin"]
        assert app.key_labels()["pin"] == "Ctrl+T"


async def test_pin_with_an_argument_is_refused_and_the_line_kept(make_app, store):
    incident = store.declare("Pin N", 3)
    store.log(incident.id, "a finding")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        entry = app.query_one("#entry", Input)
        entry.value = "/pin 3"
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value == "/pin 3"
        assert not any(e.pinned for e in store.timeline(incident.id))
        entry.value = "/pin"
        await pilot.press("enter")
        await pilot.pause()
        assert [e.text for e in store.timeline(incident.id) if e.pinned] == ["a finding"]
        entry.value = "/unpin"
        await pilot.press("enter")
        await pilot.pause()
        assert not any(e.pinned for e in store.timeline(incident.id))


def test_keys_from_the_config_file(tmp_path: Path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('[keys]\npin = "ctrl+t"\nhelp = "f1,question_mark"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    assert keymap() == {"pin": "ctrl+t", "help": "f1,question_mark"}
    config.write_text("[keys]\npin = 7\n")
    with pytest.raises(ValueError, match=r"config\.toml: \[keys\]"):
        keymap()
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "none.toml"))
    assert keymap() == {}


def test_an_unknown_action_in_keys_is_named(tmp_path: Path, monkeypatch):
    from warroom.tui.app import user_keys

    config = tmp_path / "config.toml"
    config.write_text('[keys]\npin = "ctrl+t"\npni = "f7"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    with pytest.raises(ValueError, match=r"config\.toml: \[keys\]: no action 'pni'"):
        user_keys()
    config.write_text('[keys]\npin = "ctrl+t"\n')
    assert user_keys() == {"pin": "ctrl+t"}


async def test_an_action_that_cannot_be_done_says_so_and_the_line_comes_back(make_app, store):
    from textual.notifications import Notify

    incident = store.declare("Twice", 3)
    store.acknowledge(incident.id)
    messages: list[Message] = []
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await pilot.press("f8")  # a key: said on screen, nothing else
        await pilot.pause()
        entry = app.query_one("#entry", Input)
        entry.value = "/ack"
        await pilot.press("enter")  # a line: said, and the line is back for correction
        await pilot.pause()
        assert entry.value == "/ack"
        said = [m.notification.message for m in messages if isinstance(m, Notify)]
        assert said.count("already acknowledged") == 2
