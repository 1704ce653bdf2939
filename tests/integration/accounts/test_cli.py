"""`pusterum users create`: the first admin account, from the command line."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def users_create(*args: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "users", "create", *args, "--password-stdin"],
                          input=password + "\n", capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_the_first_admin_is_made_from_the_command_line(db):
    done = users_create("--email", "Admin@Example.org", "--role", "admin", "--role", "editor",
                        password="a long and private sentence")
    assert done.returncode == 0, done.stderr
    assert "admin@example.org (admin, editor)" in done.stdout and "/workspace/login" in done.stdout
    again = users_create("--email", "admin@example.org", "--role", "admin", password="another long sentence")
    assert again.returncode == 1 and "already an account" in again.stderr


def test_a_common_password_is_refused_and_nothing_is_made(db):
    done = users_create("--email", "x@example.org", "--role", "admin", password="iloveyou123")
    assert done.returncode == 1 and "too common" in done.stderr and "no account was made" in done.stderr
