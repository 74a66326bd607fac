"""The command-line parser: the command -> module map and the parser built for one command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nlp.cli import COMMANDS, build_parser, main

REPO = Path(__file__).resolve().parent.parent


def _commands(parser) -> dict:
    return next(a for a in parser._actions if a.dest == "command").choices


def test_the_map_lists_every_command_in_help_order():
    full = build_parser()
    assert list(_commands(full)) == list(COMMANDS)
    help_text = full.format_help()
    for name in COMMANDS:
        assert f"\n    {name} " in help_text or f"\n    {name}\n" in help_text, name


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_parser_for_one_command_parses_and_helps_like_the_full_one(command):
    full, one = build_parser(), build_parser(command)
    assert command in _commands(one)
    assert set(_commands(one)) == {c for c, m in COMMANDS.items() if m == COMMANDS[command]}
    assert _commands(one)[command].format_help() == _commands(full)[command].format_help()


def test_main_registers_only_the_named_command_module():
    code = ("import sys, io, contextlib\n"
            "from nlp.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n"
            "        main(['tag', '--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "assert 'kdiscourse tag' in out.getvalue()\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('nlp.cli.'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["nlp.cli.common", "nlp.cli.tag"]


def test_no_command_or_an_unknown_one_gets_the_full_parser(capsys):
    assert main([]) == 2
    listing = capsys.readouterr().out
    assert all(name in listing for name in COMMANDS)
    with pytest.raises(SystemExit) as exc:
        main(["tga", "x.txt"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'tga'" in err and "'tag'" in err and "'select'" in err
