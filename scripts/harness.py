"""Results of the live-service scripts (`check`, `summary`) and, re-exported from tests/live/support.py (one
implementation, shared with the pytest suite's fixtures), ports, redis-server and quotad processes, the client.

Everything runs on loopback; every process started here is stopped by `stop`.
"""
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "live"))
from support import (ROOT, QUOTAD, Client, child_pids, free_port, port_accepts, process_alive, redis_cli,  # noqa: E402,F401
                     run_workers, start_quotad, start_quotad_embedded, start_redis, stop, wait_ready, wait_until)

_results = []

def check(name, ok, detail=""):
    """Records one assertion and prints it."""
    _results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f" ({detail})" if detail else ""), flush=True)

def summary():
    """Prints `N passed, M failed` and returns the exit code."""
    passed = sum(_results)
    print(f"{passed} passed, {len(_results) - passed} failed")
    return 0 if passed == len(_results) else 1
