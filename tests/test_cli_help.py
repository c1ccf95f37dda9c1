"""Every option of every sub-command has help, and says its default at most once."""

from __future__ import annotations

import argparse

import pytest

from aeutils.cli.main import COMMANDS, build_parser


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_has_help_and_one_default(command):
    sub = _subparsers()[command]
    text = sub.format_help()
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = action.option_strings[0] if action.option_strings else action.dest
        assert action.help and action.help.strip(), f"{command} {name} has no help"
        assert action.help.count("(default") <= 1, f"{command} {name}: default said twice"
    assert "(default: None)" not in text and "(default: False)" not in text
    assert text.count("(default: all) (default") == 0


def test_zero_defaults_are_still_shown():
    text = _subparsers()["run"].format_help()
    assert "(default: 0)" in text and "(default: 0.0)" in text  # seed, contamination
