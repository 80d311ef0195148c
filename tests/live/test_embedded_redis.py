"""Embedded mode of quotad (loopback only, bounded).

quotad without QUOTAD_REDIS_URL runs its own redis-server (AOF) in QUOTAD_DATA_DIR on a pinned port:
  - kill -9 of quotad takes its redis-server child with it (pid gone, port refuses, within 5 s);
  - a restart on the same pinned port and data directory works and still has the recorded event;
  - a second quotad on the same data directory exits non-zero naming the directory and the holder's pid;
  - a quotad whose embedded port is taken exits non-zero saying the port is in use;
  - SIGTERM stops quotad cleanly, its redis-server with it.
"""
import os, signal, subprocess

import pytest

from support import child_pids, create_tenant_key, free_port, port_accepts, process_alive, stop, wait_ready, wait_until

EVENT = {"user": "alice", "event_id": "evt-embedded-1", "model": "gpt-4o", "usage": {"input_tokens": 123, "output_tokens": 45}}


def finished(proc, within):
    """The process' exit code, or None if it is still running after `within` seconds."""
    try:
        return proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        return None


def totals(server, key):
    answer = server.client(key, timeout=10).request("GET", "/v1/tenants/acme/users/alice/usage")
    return answer.json().get("totals") if answer.status == 200 else None


class Embedded:
    pass


def start_first(launcher, e):
    """The first quotad in embedded mode, with one recorded event."""
    e.first = launcher.embedded("first", e.data_dir, e.redis_port)
    ready = wait_ready(e.first.proc, e.first.port)
    assert ready, f"quotad starts in embedded mode: {e.first.log()[-500:]}"
    e.redis_pids = child_pids(e.first.proc.pid, "redis-server")
    launcher.extra_pids += e.redis_pids
    assert len(e.redis_pids) == 1, f"quotad runs one redis-server child: children {e.redis_pids}"
    e.key = create_tenant_key(e.first, "acme")
    answer = e.first.client(e.key, timeout=10).request("POST", "/v1/tenants/acme/usage", EVENT)
    assert 200 <= answer.status < 300, f"usage event recorded: {answer}"
    e.before = totals(e.first, e.key)
    assert e.before, "totals readable before the kill"


def kill_first(e):
    e.first.proc.send_signal(signal.SIGKILL)
    e.first.proc.wait()
    return wait_until(lambda: not any(process_alive(pid) for pid in e.redis_pids) and not port_accepts(e.redis_port), 5.0)


@pytest.fixture(scope="module")
def embedded(module_launcher):
    """A first quotad in embedded mode killed with -9 after recording one event, then restarted on the same pinned
    port and data directory (the state the tests below examine)."""
    e = Embedded()
    e.launcher = module_launcher
    e.data_dir = os.path.join(module_launcher.directory, "data")
    e.redis_port = free_port()
    start_first(module_launcher, e)
    e.gone = kill_first(e)
    e.second = module_launcher.embedded("restart", e.data_dir, e.redis_port)
    e.ready = wait_ready(e.second.proc, e.second.port)
    if e.ready:
        e.restart_children = child_pids(e.second.proc.pid, "redis-server")
        module_launcher.extra_pids += e.restart_children
    return e


def test_embedded_redis_child_dies_with_quotad_on_kill_9(embedded):
    assert embedded.gone, (f"redis-server child is gone within 5 s of kill -9 of quotad: pids {embedded.redis_pids} "
                           f"alive={[process_alive(p) for p in embedded.redis_pids]} port accepts={port_accepts(embedded.redis_port)}")


def test_restart_on_the_same_pinned_port_keeps_the_event(embedded):
    assert embedded.ready, f"restart after kill -9 on the same pinned port works: {embedded.second.log()[-500:]}"
    after = totals(embedded.second, embedded.key)
    assert after == embedded.before and bool(after), f"the event survived the kill -9 (AOF): before {embedded.before} after {after}"


def test_second_quotad_on_the_same_data_directory_is_refused(embedded):
    assert embedded.ready, "the restarted quotad holds the data directory"
    other = embedded.launcher.embedded("intruder", embedded.data_dir, free_port())
    code = finished(other.proc, 30)
    expected = f"data directory {embedded.data_dir} is in use by another quotad (pid {embedded.second.proc.pid})"
    text = other.log()
    assert code not in (None, 0), f"second quotad on the same data directory exits non-zero: exit {code}"
    assert expected in text, f"its error names the data directory and the holder's pid: {text[-400:]}"


def test_taken_embedded_port_is_reported(embedded):
    assert embedded.ready, "the restarted quotad's redis-server holds the pinned port"
    taken = embedded.launcher.embedded("taken-port", os.path.join(embedded.launcher.directory, "other-data"), embedded.redis_port)
    code = finished(taken.proc, 30)
    text = taken.log()
    assert code not in (None, 0), f"quotad on a taken embedded port exits non-zero: exit {code}"
    assert f"port {embedded.redis_port} is in use" in text, f"its error says the port is in use: {text[-400:]}"


def test_sigterm_stops_quotad_and_its_redis_server(launcher):
    # Its own quotad (not the module's), so that the tests above never see a stopped one.
    e = Embedded()
    e.data_dir = os.path.join(launcher.directory, "data")
    e.redis_port = free_port()
    start_first(launcher, e)
    stop(e.first.proc)
    assert e.first.proc.returncode == 0, f"SIGTERM stops quotad cleanly: exit {e.first.proc.returncode}"
    assert wait_until(lambda: not any(process_alive(pid) for pid in e.redis_pids), 5.0), \
        f"its redis-server stopped with it: {e.redis_pids}"
