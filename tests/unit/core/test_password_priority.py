"""Login storms degrade logins, never votes (issue #10 item 6): the password work runs on
threads of their own at the lowest CPU priority, so the scheduler serves the votes first."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from participa.core import security


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
def test_password_work_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() -> None:
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = priority()
    assert security._at_low_priority(priority) == security.PASSWORD_NICE == 19
    assert priority() == mine  # the request's own thread is not slowed down


def test_hashing_and_verifying_still_answer_through_the_low_priority_threads() -> None:
    stored = security.hash_password("una frase de paso bastante larga")
    assert security.verify_password(stored, "una frase de paso bastante larga")
    assert not security.verify_password(stored, "otra frase de paso")
    assert not security.verify_password(None, "sin cuenta")
