#!/usr/bin/env python3
"""
Schemathesis against a real Gatehouse: every operation of the served OpenAPI document
(/docs-json), as the platform root key, as an account admin's API key, as a member's
key and without credentials. Fails on any 5xx, any response that does not match the
document (status code, content type, body schema) and any refused request that
appended an event. Run through test/hostile/schemathesis.sh (which makes the venv).

Gatehouse runs as a child process exactly as `npm start` runs it (the built
dist/apps/gatehouse/src/main.js), on a free loopback port, with a SQLite file in a
temporary directory that is removed at the end. Its log is kept and searched for
every secret minted during the run: a key or token in a log line fails the run.

Environment: GATEHOUSE_ST_RUNS (default root,admin,member,anonymous), GATEHOUSE_ST_EXAMPLES (examples per operation and phase, default 5:
about 2.5 minutes on 2 cores; the coverage phase adds its own boundary cases),
GATEHOUSE_ST_SEED (default 9), GATEHOUSE_ST_REPORT_DIR (where JUnit reports go),
GATEHOUSE_ST_DEBUG=1 (answers per operation and status), GATEHOUSE_ST_KEEP=1 (keep the data).
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MAIN = ROOT_DIR / "dist/apps/gatehouse/src/main.js"
EXAMPLES = int(os.environ.get("GATEHOUSE_ST_EXAMPLES", "5"))
SEED = int(os.environ.get("GATEHOUSE_ST_SEED", "9"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,refused_request_appends_nothing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gatehouse:
    def __init__(self, base: str, root: str):
        self.base = base
        self.root = root
        self.secrets: list[str] = [root]

    def call(self, method: str, path: str, key: str | None, body: object = None) -> dict:
        headers = {"content-type": "application/json"} if body is not None else {}
        if key:
            headers["authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise SystemExit(f"seeding failed: {method} {path} → {error.code} {error.read().decode()}") from None

    def key_for(self, account: str, user: str, by: str) -> str:
        key = self.call("POST", f"/v1/accounts/{account}/users/{user}/api-keys", by, {})["key"]
        self.secrets.append(key)
        return key

    def seed(self, account: str) -> dict:
        """An account with an admin, a member, a service account, a team, a custom role and an invite link."""
        created = self.call("POST", "/v1/accounts", self.root, {"id": account, "preset": "custom", "admins": [f"admin@{account}.test"]})
        admin = created["admins"][0]["id"]
        admin_key = self.key_for(account, admin, self.root)
        invited = self.call("POST", f"/v1/accounts/{account}/users", admin_key, {"email": f"member@{account}.test", "roles": ["member"]})
        self.secrets.append(invited["invitation"]["token"])
        self.call("POST", f"/v1/accounts/{account}/invitations/accept", None, {"token": invited["invitation"]["token"]})
        member = invited["id"]
        member_key = self.key_for(account, member, admin_key)
        pending = self.call("POST", f"/v1/accounts/{account}/users", admin_key, {"email": f"pending@{account}.test"})
        self.secrets.append(pending["invitation"]["token"])
        sa = self.call("POST", f"/v1/accounts/{account}/service-accounts", admin_key, {"name": "ci-bot", "roles": ["member"]})["id"]
        sa_key = self.call("POST", f"/v1/accounts/{account}/service-accounts/{sa}/api-keys", admin_key, {})
        self.secrets.append(sa_key["key"])
        self.call("POST", f"/v1/accounts/{account}/teams", admin_key, {"name": "ml"})
        self.call("PUT", f"/v1/accounts/{account}/teams/ml/members/{member}", admin_key)
        self.call("POST", f"/v1/accounts/{account}/roles", admin_key, {"name": "reader", "grants": [{"permission": "member:read"}]})
        link = self.call("POST", f"/v1/accounts/{account}/invite-links", admin_key, {"roles": ["member"], "maxUses": 5})
        self.secrets.append(link["token"])
        member_key_id = member_key.split("_")[1]
        return {
            "admin_key": admin_key,
            "member_key": member_key,
            "users": [admin, member, pending["id"]],
            "service_accounts": [sa],
            "member_key_id": member_key_id,
            "keys": [member_key_id, sa_key["id"]],
            "links": [link["id"]],
        }


def write_config(path: Path, account: str, seeded: dict, who: str) -> None:
    """Known ids are drawn often, so generated requests reach past 'not found' into the commands.

    The run's own key is left out: a member revoking the key it runs with would turn the
    rest of its run into 401s.
    """
    keys = [k for k in seeded["keys"] if not (who == "member" and k == seeded["member_key_id"])]
    dictionaries = {
        "accounts": [account],
        "users": seeded["users"],
        "service_accounts": seeded["service_accounts"],
        "keys": keys,
        "links": seeded["links"],
        "roles": ["admin", "member", "reader"],
        "teams": ["ml"],
    }
    bindings = {
        "path.account": "accounts",
        "path.userId": "users",
        "path.id": "service_accounts",
        "path.keyId": "keys",
        "path.linkId": "links",
        "path.role": "roles",
        "path.team": "teams",
    }
    lines = []
    for name, values in dictionaries.items():
        lines.append(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
    lines.append("[parameters]")
    for key, dictionary in bindings.items():
        # The account is nearly always the run's own, so a key's requests get past authentication.
        probability = 0.9 if key == "path.account" else 0.7
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = {probability} }}')
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    if not MAIN.exists():
        print(f"{MAIN} is missing: run `node scripts/build.mjs` first", file=sys.stderr)
        return 2
    venv_bin = Path(sys.executable).parent
    st = venv_bin / "schemathesis"
    data_dir = Path(tempfile.mkdtemp(prefix="gatehouse-st-"))
    report_dir = Path(os.environ.get("GATEHOUSE_ST_REPORT_DIR", data_dir / "reports"))
    report_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    root = "ghroot_" + secrets.token_urlsafe(32)
    log_path = data_dir / "gatehouse.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GRPC_PORT": "0",
        "GRPC_HOST": "127.0.0.1",
        "GATEHOUSE_DATA_DIR": str(data_dir / "data"),
        "GATEHOUSE_ROOT_KEY": root,
        "LOG_LEVEL": "debug",
        # A check naming a revision no write returned waits this long before its 503.
        "GATEHOUSE_CONSISTENCY_TIMEOUT_MS": "300",
        # The fuzzer sends thousands of bad keys on purpose: the limiter is tested elsewhere.
        "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1000000",
    }
    log = open(log_path, "w")
    server = subprocess.Popen(["node", str(MAIN)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(data_dir))
    failed: list[str] = []
    started = time.time()
    gh: Gatehouse | None = None
    runs: list[tuple[str, str | None, Path]] = []
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if server.poll() is not None or time.time() > deadline:
                print(log_path.read_text(), file=sys.stderr)
                raise SystemExit("Gatehouse did not become ready")
            time.sleep(0.2)

        gh = Gatehouse(base, root)
        for who in os.environ.get("GATEHOUSE_ST_RUNS", "root,admin,member,anonymous").split(","):
            account = f"st-{who}"
            seeded = gh.seed(account)
            key = {"root": root, "admin": seeded["admin_key"], "member": seeded["member_key"], "anonymous": None}[who]
            config = data_dir / f"{who}.toml"
            write_config(config, account, seeded, who)
            runs.append((who, key, config))

        # Deleting the account ends every other operation's interest: it goes last, on its own.
        last = "DELETE /v1/accounts/{account}"
        for who, key, config in runs:
            for part, selection in (("", ["--exclude-name", last]), (" (account deletion)", ["--include-name", last])):
                args = [
                    str(st), "--config-file", str(config), "run", f"{base}/docs-json",
                    *selection,
                    "--checks", CHECKS,
                    "--max-examples", str(EXAMPLES),
                    "--seed", str(SEED),
                    "--workers", "1",
                    "--phases", "examples,coverage,fuzzing",
                    "--request-timeout", "30",
                    "--suppress-health-check", "all",
                    "--no-shrink",
                    "--report", "junit",
                    "--report-junit-path", str(report_dir / f"schemathesis-{who}{'-delete' if part else ''}.xml"),
                    "--warnings", "off",
                ]
                if key:
                    args += ["--header", f"Authorization: Bearer {key}"]
                hook_env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"), "GATEHOUSE_ST_BASE": base, "GATEHOUSE_ST_ROOT": root}
                print(f"\n=== schemathesis as {who}{part} ({EXAMPLES} examples per operation and phase, seed {SEED})", flush=True)
                t0 = time.time()
                code = subprocess.call(args, env=hook_env, cwd=str(data_dir))  # its example database stays out of the work tree
                print(f"=== {who}{part}: exit {code} in {time.time() - t0:.0f} s", flush=True)
                if code != 0:
                    failed.append(f"{who}{part}")

        if server.poll() is not None:
            failed.append("server exited during the run")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    output = log_path.read_text()
    leaked = [s[:12] + "…" for s in (gh.secrets if gh else []) if s in output]
    if leaked:
        failed.append(f"secrets in the service log: {', '.join(leaked)}")
    errors = [line for line in output.splitlines() if "ERROR" in line]
    if errors:
        print("\n".join(errors)[-4000:], file=sys.stderr)
        failed.append(f"{len(errors)} error lines in the service log")
    print(f"\nschemathesis: {len(runs)} identities in {time.time() - started:.0f} s; reports in {report_dir}")
    if os.environ.get("GATEHOUSE_ST_KEEP") != "1":
        shutil.rmtree(data_dir / "data", ignore_errors=True)
    if failed:
        print(f"schemathesis: FAILED ({'; '.join(failed)}); service log: {log_path}", file=sys.stderr)
        return 1
    print("schemathesis: passed (no 5xx, every response matches the document, no refused request appended anything, no secret logged)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
