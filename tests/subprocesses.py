"""Running Python in a child process that cannot hang the test run (shared by the runtime and cache tests)."""
import os
import signal
import subprocess

import pytest


def run_bounded(args, env, timeout, what: str = "") -> subprocess.CompletedProcess:
    """subprocess.run in a session of its own: on a hang the whole group is killed, forked children included
    (pool workers or a fork that kept the output pipe open would otherwise hang pytest too)."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{what + ' ' if what else ''}hung for {timeout} s\nstdout:\n{out}\nstderr:\n{err[-5000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err)
