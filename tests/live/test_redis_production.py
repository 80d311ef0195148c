"""quotad against Redis as production runs it: a least-privilege ACL user (deploy/redis/quotad.acl), the
`default` user switched off.

1. The rule covers every command quotad's sources send (Swift and the Lua scripts), and no source sends a
   command a production Redis should keep from an application (CONFIG, KEYS, SCRIPT, CLIENT, DEBUG, FLUSH…).
2. The whole API runs as that user with no 5xx, and `ACL LOG` stays empty: nothing outside the rule was sent.
3. A wrong password and a missing permission each stop quotad at startup with a message that names them.
TLS (also with this user) is in test_redis_tls.py.
"""
import glob, os, re, subprocess

import pytest

from full_flow import Receiver, check_full_flow, quotad_env, run_full_flow
from redis_support import acl_rule, failed_start, start_redis
from support import ROOT

SOURCES = os.path.join(ROOT, "Sources")
# Sent by the client itself before any command, allowed to every user.
ALWAYS_ALLOWED = {"AUTH"}
# Never sent by any source, the benchmarks included (quota-bench also sends SCRIPT LOAD/EXISTS, to its own Redis).
FORBIDDEN = {"CONFIG", "KEYS", "SCRIPT|flush", "SCRIPT|kill", "CLIENT|kill", "DEBUG", "FLUSHALL", "FLUSHDB", "SHUTDOWN",
             "MONITOR", "ACL", "MODULE", "MIGRATE", "RESTORE"}
COMMAND_PATTERNS = [
    re.compile(r'(?:send|RedisCommand|scriptCommand)\(\s*"([A-Z][A-Z_]*)"(?:\s*,\s*"([A-Za-z-]+)")?'),
    re.compile(r"redis\.p?call\(\s*['\"]([A-Za-z_]+)['\"](?:\s*,\s*['\"]([A-Za-z-]+)['\"])?"),
]
SUBCOMMANDS = {"XGROUP", "XINFO", "CLUSTER", "SCRIPT", "CLIENT", "CONFIG", "OBJECT", "MEMORY", "SENTINEL"}


def sent_commands(include_benchmarks=False):
    """{command or command|subcommand: [files]} of every command the Swift and Lua sources send to Redis."""
    found = {}
    for path in glob.glob(os.path.join(SOURCES, "**", "*"), recursive=True):
        if not path.endswith((".swift", ".lua")) or (not include_benchmarks and "/quota-bench/" in path):
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        for pattern in COMMAND_PATTERNS:
            for name, sub in pattern.findall(text):
                name = name.upper()
                command = f"{name}|{sub.lower()}" if name in SUBCOMMANDS and sub else name
                found.setdefault(command, []).append(os.path.relpath(path, ROOT))
    return found


def granted(rule):
    """The commands (lower case, `name` or `name|sub`) the rule adds with `+`."""
    return {token[1:].lower() for token in rule if token.startswith("+") and not token.startswith("+@")}


def test_acl_rule_grants_every_command_quotad_sends():
    rule, sent = acl_rule(), sent_commands()
    assert sent, "found no Redis command in Sources (the scan is broken)"
    # SENTINEL goes to the sentinels, which have their own users (redis.sentinel_username/_password).
    missing = {c: files[:2] for c, files in sent.items()
               if c.lower() not in granted(rule) and c not in ALWAYS_ALLOWED and not c.startswith("SENTINEL")}
    assert not missing, f"commands quotad sends that deploy/redis/quotad.acl does not grant: {missing}"


def test_acl_rule_is_narrow():
    rule = acl_rule()
    assert "-@all" in rule and not [t for t in rule if t.startswith("+@")], "commands are granted one by one"
    assert {t for t in rule if t.startswith("~")} == {"~q:*", "~quotad:*"}, "only quotad's key prefixes"
    assert "resetchannels" in rule and not [t for t in rule if t.startswith("&")], "no Pub/Sub channel"
    granted_names = {c.split("|")[0] for c in granted(rule)}
    assert not granted_names & {"script", "client", "config", "keys", "debug", "flushall", "flushdb", "acl", "module"}


def test_no_source_sends_a_command_production_redis_forbids():
    sent = sent_commands(include_benchmarks=True)
    forbidden = {c: files for c, files in sent.items() if c in FORBIDDEN or c.split("|")[0] in FORBIDDEN}
    assert not forbidden, f"sent somewhere in Sources: {forbidden}"


def test_readme_shows_the_shipped_rule():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    line = next((l for l in readme.splitlines() if l.startswith("ACL SETUSER quotad ")), None)
    assert line, "README shows the ACL SETUSER line"
    tokens = line.split()[3:]
    assert [t for t in tokens if not t.startswith(">")] == acl_rule(), "README's rule equals deploy/redis/quotad.acl"


class Production:
    pass


@pytest.fixture(scope="module")
def acl_production(module_launcher):
    """A redis-server with the `default` user off and the quotad user of deploy/redis/quotad.acl; one quotad
    signed in as that user; the webhook/InfluxDB receiver."""
    p = Production()
    p.redis = start_redis(module_launcher)
    p.redis.lock_down()
    p.password = "secret-" + os.urandom(6).hex()
    p.redis.add_user("quotad", p.password, acl_rule())
    p.redis.cli("ACL", "LOG", "RESET")
    p.receiver = Receiver()
    p.quotad = module_launcher.quotad(p.redis.port, log="quotad-acl",
                                      QUOTAD_REDIS_URL=p.redis.url("quotad", p.password), **quotad_env(p.receiver))
    yield p
    p.receiver.close()


def test_full_api_as_the_acl_user(acl_production):
    check_full_flow(run_full_flow(acl_production.quotad, acl_production.receiver))


def test_acl_log_empty_after_the_full_api(acl_production):
    run_full_flow(acl_production.quotad, acl_production.receiver, tenant="flow2")
    assert acl_production.quotad.running()
    assert acl_production.redis.acl_log() == "", f"ACL LOG: {acl_production.redis.acl_log()[:600]}"


def test_default_user_refused(acl_production):
    answer = subprocess.run(["redis-cli", "-p", str(acl_production.redis.port), "PING"], capture_output=True, text=True, timeout=10)
    assert "NOAUTH" in answer.stdout + answer.stderr, answer


def test_wrong_password_named_at_startup(launcher):
    redis = start_redis(launcher)
    redis.lock_down()
    redis.add_user("quotad", "right-password", acl_rule())
    code, output, readyz = failed_start(launcher, redis.url("quotad", "wrong-password"))
    assert code == 78, f"exit {code}: {output[-400:]}"
    assert "WRONGPASS" in output and "password" in output, output[-400:]


def test_missing_permission_named_at_startup(launcher):
    redis = start_redis(launcher)
    redis.lock_down()
    redis.add_user("quotad", "pw", [t for t in acl_rule() if t != "+evalsha"])
    code, output, readyz = failed_start(launcher, redis.url("quotad", "pw"))
    assert code == 78, f"exit {code}: {output[-400:]} {readyz[-2:]}"
    assert "NOPERM" in output and "evalsha" in output.lower(), output[-400:]


def test_missing_key_pattern_named_at_startup(launcher):
    redis = start_redis(launcher)
    redis.lock_down()
    redis.add_user("quotad", "pw", [t for t in acl_rule() if t != "~quotad:*"])
    code, output, readyz = failed_start(launcher, redis.url("quotad", "pw"))
    assert code == 78, f"exit {code}: {output[-400:]} {readyz[-2:]}"
    assert "NOPERM" in output, output[-400:]
