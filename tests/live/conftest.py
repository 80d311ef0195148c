"""Fixtures of the live-service suite: the release binary, private redis-servers, quotad processes, keys.

    QUOTAD_BIN=.build/release/quotad python3 -m pytest tests/live -p no:cacheprovider -q [-k NAME]

Every process a fixture starts is stopped at its teardown, also when the test fails (support.Launcher).
"""
import os, secrets, sys, tempfile, shutil

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from support import Launcher, create_tenant_key  # noqa: E402


@pytest.fixture(scope="session")
def quotad_bin():
    """The quotad binary under test: $QUOTAD_BIN (scripts/test.sh passes the release build)."""
    path = os.environ.get("QUOTAD_BIN")
    if not path:
        pytest.skip("QUOTAD_BIN is not set: build quotad (swift build -c release --product quotad) and set "
                    "QUOTAD_BIN=.build/release/quotad")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        pytest.fail(f"QUOTAD_BIN={path} is not an executable file", pytrace=False)
    return path


@pytest.fixture(scope="session")
def admin_key():
    """The admin key every quotad of the suite is configured with (QUOTAD_ADMIN_KEYS)."""
    return "live-admin-key-" + secrets.token_hex(12)


def _work_dir(name):
    return tempfile.mkdtemp(prefix=f"quotad-{name[:40]}-")


def _launched(name, quotad_bin, admin_key):
    """Yields a Launcher over a fresh work directory, then stops everything it started and removes the directory."""
    directory = _work_dir(name)
    launched = Launcher(directory, quotad_bin, admin_key)
    try:
        yield launched
    finally:
        launched.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def launcher(request, quotad_bin, admin_key):
    """A Launcher (support.py) of this test: redis-servers and quotads in a private work directory, all stopped at teardown."""
    yield from _launched(request.node.name, quotad_bin, admin_key)


@pytest.fixture(scope="module")
def module_launcher(request, quotad_bin, admin_key):
    """A Launcher shared by the tests of one module (an expensive setup used by many tests), stopped after the last."""
    yield from _launched(request.module.__name__, quotad_bin, admin_key)


@pytest.fixture
def redis_factory(launcher):
    """Factory: `redis_factory(*redis-server options)` starts one more private redis-server on a free loopback port."""
    return launcher.redis


@pytest.fixture
def redis_server(redis_factory):
    """A private redis-server on a free loopback port (no persistence), stopped at teardown."""
    return redis_factory()


@pytest.fixture
def quotad(launcher):
    """Factory: `quotad(redis, log=None, **env)` starts `quotad serve` against `redis` with QUOTAD_… overrides
    and returns once /readyz answers 200 (support.Quotad: port, proc, client(), log())."""
    return launcher.quotad


@pytest.fixture
def tenant_key():
    """Factory: `tenant_key(server, tenant="acme", scopes=None)` creates a tenant key through the API."""
    return create_tenant_key


@pytest.fixture
def figure(request, record_testsuite_property):
    """figure(text): prints `figure: text` (a measured number of the test, shown with -s or -rP) and records it
    as a property of the JUnit XML test suite named after the test."""
    def record(text):
        print("figure: " + text)
        record_testsuite_property(f"figure {request.node.nodeid}", text)
    return record
