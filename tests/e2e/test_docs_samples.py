"""The API guides' code samples: each runs against a real `bbws serve`, and each one a guide shows is its file."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bbws.notifications.delivery import signature_headers

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "api"
EXAMPLES = DOCS / "examples"
SAMPLE_MARK = re.compile(r"^<!-- sample: (\S+) -->$")
SAMPLE_TIMEOUT = 60
NODE = shutil.which("node")

# Every sample exists in both languages and prints the same lines; all of them are run below.
SAMPLES = (
    "tenant_lifecycle",
    "list_tenants",
    "safe_updates",
    "handle_errors",
    "team_access",
    "provision_instance",
    "create_site",
)
# Samples that are servers: each is started on a free port, sent webhook deliveries, and stopped.
RECEIVERS = ("webhook_receiver",)
RECEIVER_TIMEOUT = 20
LANGUAGES = [
    pytest.param("python", id="python"),
    pytest.param("js", id="js", marks=pytest.mark.skipif(NODE is None, reason="node is not installed")),
]

# Asks `--dist loadgroup` to keep the module on one worker, so that each server starts once. The tests are
# right on a split module too: each worker then runs its own servers, and its tests one after another.
pytestmark = pytest.mark.xdist_group("docs-samples")


@dataclass(frozen=True)
class Server:
    url: str
    token: str

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bbws_command() -> list[str]:
    script = shutil.which("bbws", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bbws.cli"]


@contextmanager
def serve(data_dir: Path, **settings: str) -> Iterator[Server]:
    """`bbws serve` on a free loopback port with its own data dir, as a user would start it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")} | settings
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    command = [*_bbws_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"bbws serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield Server(url=url, token=(data_dir / "admin-token").read_text().strip())
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The samples' server; it may deliver webhooks to loopback, where the sample receivers listen."""
    with serve(tmp_path_factory.mktemp("docs") / "data", BBWS_WEBHOOKS_ALLOW_LOOPBACK="true") as running:
        yield running


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a small per-token budget, so that the error sample meets 429s."""
    limits = {"BBWS_RATE_LIMIT_TOKEN_PER_SECOND": "4", "BBWS_RATE_LIMIT_TOKEN_BURST": "4"}
    with serve(tmp_path_factory.mktemp("docs-tight") / "data", **limits) as running:
        yield running


def sample_path(name: str, language: str) -> Path:
    return EXAMPLES / "python" / f"{name}.py" if language == "python" else EXAMPLES / "js" / f"{name}.mjs"


def run_sample(name: str, language: str, server: Server, *args: str) -> list[str]:
    path = sample_path(name, language)
    interpreter = sys.executable if language == "python" else str(NODE)
    # A proxy from the environment must not catch the loopback calls.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(BBWS_URL=server.url, BBWS_TOKEN=server.token)
    result = subprocess.run(
        [interpreter, str(path), *args], env=env, capture_output=True, text=True, timeout=SAMPLE_TIMEOUT
    )
    assert result.returncode == 0, f"{path.name} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout.splitlines()


def matching(lines: list[str], pattern: str) -> re.Match[str]:
    for line in lines:
        found = re.fullmatch(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matches {pattern!r} in:\n" + "\n".join(lines))


def all_tenants(server: Server, **filters: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    with server.client() as client:
        page = client.get("/v1.0/tenants", params={"pageSize": 100, **filters}).json()
        found += page["items"]
        while page["moreAvailable"]:
            page = client.get(page["_links"]["next"]["href"]).json()
            found += page["items"]
    return found


# -- the samples, run


@pytest.mark.parametrize("language", LANGUAGES)
def test_tenant_lifecycle_sample_parks_and_unparks_through_operations(language: str, server: Server) -> None:
    lines = run_sample("tenant_lifecycle", language, server)

    tenant_id = matching(lines, r"created (ten_[0-9a-z]{26}) \(Example Org \w+\) at /v1\.0/tenants/\1").group(1)
    matching(lines, r"park: operation op_[0-9a-z]{26} COMPLETED - Tenant is PARKED\.")
    matching(lines, rf"tenant {tenant_id} is PARKED; actions: update, unpark, delete")
    matching(lines, r"unpark: operation op_[0-9a-z]{26} COMPLETED - Tenant is ACTIVE\.")
    assert lines[-1] == f"tenant {tenant_id} is ACTIVE; actions: update, suspend, park, delete"
    with server.client() as client:
        assert client.get(f"/v1.0/tenants/{tenant_id}").json()["status"] == "ACTIVE"
        audit = client.get(f"/v1.0/tenants/{tenant_id}/audit").json()["items"]
        operations = client.get(f"/v1.0/tenants/{tenant_id}/operations").json()["items"]
    assert [a["action"] for a in audit][:2] == ["tenant.unparked", "tenant.parked"]
    assert [o["operationType"] for o in operations] == ["TENANT_UNPARK", "TENANT_PARK"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_list_tenants_sample_walks_every_page(language: str, server: Server) -> None:
    with server.client() as client:
        bodies = [{"organizationName": f"Org {uuid.uuid4().hex[:8]}", "contactEmail": "ops@example.com"} for _ in "abc"]
        seeded = [client.post("/v1.0/tenants", json=body) for body in bodies]
        assert all(response.status_code == 201 for response in seeded)
        parked = seeded[0].json()["tenantId"]
        client.post(f"/v1.0/tenants/{parked}/lifecycle/park", json={"reason": "Parked by the docs sample test"})
    total = len(all_tenants(server))

    lines = run_sample("list_tenants", language, server, "2")

    assert lines[-1] == f"{total} tenants on {math.ceil(total / 2)} pages"
    listed = [line.split()[0] for line in lines[:-1]]
    assert len(listed) == len(set(listed)) == total
    assert {s.json()["tenantId"] for s in seeded} <= set(listed)

    lines = run_sample("list_tenants", language, server, "2", "PARKED")

    assert lines[-1].startswith(f"{len(all_tenants(server, status='PARKED'))} tenants on ")
    assert all(line.split()[1] == "PARKED" for line in lines[:-1])
    assert parked in {line.split()[0] for line in lines[:-1]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_safe_updates_sample_replays_and_refuses_stale_writes(language: str, server: Server) -> None:
    lines = run_sample("safe_updates", language, server)

    tenant_id = matching(lines, r"create: 201 (ten_[0-9a-z]{26})").group(1)
    assert lines[1:] == [
        f"same key, same body: 201 {tenant_id} (Idempotent-Replayed: true)",
        "same key, other body: 422 IDEMPOTENCY_KEY_REUSED",
        'update with If-Match "2": 200, tier PROFESSIONAL, ETag "3"',
        'update with stale If-Match "2": 412 PRECONDITION_FAILED',
        'read with If-None-Match "3": 304',
    ]
    with server.client() as client:
        assert client.get(f"/v1.0/tenants/{tenant_id}").json()["tier"] == "PROFESSIONAL"


@pytest.mark.parametrize("language", LANGUAGES)
def test_handle_errors_sample_reports_problems_and_waits_out_429(language: str, tight_server: Server) -> None:
    lines = run_sample("handle_errors", language, tight_server)

    matching(lines, r"400 VALIDATION_ERROR: 2 problem\(s\) with the request: .*")
    matching(lines, r"  organizationName: String should have at least 2 characters")
    matching(lines, r"  contactEmail: value is not a valid email address.*")
    matching(lines, r"404 TENANT_NOT_FOUND: Tenant ten_0{26} was not found\.")
    matching(lines, r"422 INVALID_STATUS_TRANSITION: The tenant is ACTIVE; .*")
    matching(lines, r"  currentStatus ACTIVE; allowed: DEPROVISIONED, PARKED, SUSPENDED")
    matching(lines, r"  requestId req_[0-9a-z]{26}")
    matching(lines, r"429 RATE_LIMITED: waiting [1-9]\d* s")
    waits = int(matching(lines, r"10 reads done; waited (\d+) times after 429").group(1))
    assert waits == sum(line.startswith("429 RATE_LIMITED") for line in lines) >= 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_team_access_sample_builds_the_tree_assigns_and_invites(language: str, server: Server) -> None:
    lines = run_sample("team_access", language, server)

    tenant_id = matching(lines, r"tenant (ten_[0-9a-z]{26}) ACTIVE").group(1)
    div = matching(lines, r"division (div_[0-9a-z]{26}) Marketing at \1").group(1)
    grp = matching(lines, rf"group (grp_[0-9a-z]{{26}}) Campaigns at {div}/\1").group(1)
    team = matching(lines, rf"team (team_[0-9a-z]{{26}}) Spring Launch at {div}/{grp}/\1").group(1)
    user = matching(lines, rf"(dana-[0-9a-f]{{8}}) is OPERATOR on {team}").group(1)
    invited_line = r"invited new\.dev@example\.com as VIEWER of Campaigns: (inv_[0-9a-z]{26}) PENDING until .*"
    invitation = matching(lines, invited_line)
    assert lines[-3:] == [
        "division links delete: no",
        "delete division: 409 NODE_HAS_CHILDREN",
        f"team member: {user} (OPERATOR)",
    ]
    with server.client() as client:
        member = client.get(f"/v1.0/tenants/{tenant_id}/users/{user}").json()
        invited = client.get(f"/v1.0/tenants/{tenant_id}/invitations/{invitation.group(1)}").json()
    assert [(a["role"], a["nodeId"]) for a in member["assignments"]] == [("OPERATOR", team)]
    assert (invited["status"], invited["nodeId"]) == ("PENDING", grp)


# -- the webhook receivers, run as servers


def log_lines(log: Path, process: subprocess.Popen[bytes], patterns: list[str]) -> list[str]:
    """The receiver's output once a line matches each pattern (fails when it exits or takes too long)."""
    deadline = time.monotonic() + RECEIVER_TIMEOUT
    while True:
        lines = log.read_text(errors="replace").splitlines()
        if all(any(re.fullmatch(p, line) for line in lines) for p in patterns):
            return lines
        if process.poll() is not None or time.monotonic() > deadline:
            missing = [p for p in patterns if not any(re.fullmatch(p, line) for line in lines)]
            pytest.fail(f"the receiver printed no line matching {missing}:\n" + "\n".join(lines))
        time.sleep(0.05)


@contextmanager
def receiver(language: str, port: int, secret: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A receiver sample listening on a free loopback port, as a user would start it."""
    interpreter = sys.executable if language == "python" else str(NODE)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")} | {"BBWS_WEBHOOK_SECRET": secret}
    command = [interpreter, str(sample_path("webhook_receiver", language)), str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        log_lines(log, process, [rf"listening on http://127\.0\.0\.1:{port}"])
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def finish(client: httpx.Client, accepted: httpx.Response) -> dict[str, object]:
    """The Operation a 202 started, once the worker has finished it."""
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + RECEIVER_TIMEOUT
    while True:
        operation: dict[str, object] = client.get(accepted.headers["Location"]).json()
        if operation["status"] in ("COMPLETED", "FAILED", "CANCELLED") or time.monotonic() > deadline:
            return operation
        time.sleep(0.05)


def signed_post(url: str, secret: str, body: str, *, sent: str | None = None, age: float = 0) -> int:
    """POST `sent` (default: `body`) with the signature of `body`, made `age` seconds ago, as BBWS signs."""
    payload = json.loads(body)
    at = datetime.now(UTC) - timedelta(seconds=age)
    headers = signature_headers(payload["id"], body, [secret], at)
    return httpx.post(url, content=(sent or body).encode(), headers=headers, trust_env=False, timeout=10).status_code


@pytest.mark.parametrize("language", LANGUAGES)
def test_provision_instance_sample_serves_real_wordpress_and_stops_it(language: str, server: Server) -> None:
    lines = run_sample("provision_instance", language, server)

    assert lines[0] == "create: INSTANCE_PROVISION COMPLETED - Instance is ACTIVE."
    matching(lines, r"instance ins_[0-9a-z]{26} is ACTIVE with 2 workers")
    url = matching(lines, r"GET (http://127\.0\.0\.1:\d+/): 200").group(1)
    assert lines[3:] == [
        "stop: INSTANCE_STOP COMPLETED - Instance is SUSPENDED.",
        "stopped: SUSPENDED; GET the url: no answer",
        "start: INSTANCE_START COMPLETED - Instance is ACTIVE.",
        "started: ACTIVE; GET the url: 200",
        "delete: INSTANCE_DELETE COMPLETED - Instance is DEPROVISIONED.",
        "deleted: DEPROVISIONED",
    ]
    with pytest.raises(httpx.TransportError):  # deleted: nothing listens on its port any more
        httpx.get(url, timeout=2, trust_env=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_site_sample_makes_a_site_from_a_template_and_promotes_it(language: str, server: Server) -> None:
    lines = run_sample("create_site", language, server)

    assert lines[:3] == [
        "instance dev: INSTANCE_PROVISION COMPLETED",
        "instance sit: INSTANCE_PROVISION COMPLETED",
        "create: SITE_CREATE COMPLETED",
    ]
    subdomain = matching(lines, r"site (acme[0-9a-f]{6}) is ACTIVE; GET its url: 200").group(1)
    matching(lines, r"theme: twentytwenty\w+")
    matching(lines, r"health: HEALTHY \(frontPage pass, restApi pass, loginPage pass\)")
    matching(lines, r"plan: target is new; \d+ files to add")
    assert lines[-6:] == [
        "backup checksum is 64 hex digits",
        lines[-5],
        "promote: SITE_PROMOTE COMPLETED",
        f"sit copy {subdomain} is ACTIVE; same lineage: yes",
        "rollback: SITE_DELETE COMPLETED",
        "after the rollback the sit copy is DELETED",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_webhook_receiver_sample_verifies_deliveries_and_refuses_forgeries(
    language: str, server: Server, tmp_path: Path
) -> None:
    port = _free_port()
    with server.client() as client:
        body = {"organizationName": f"Receiver Org {uuid.uuid4().hex[:8]}", "contactEmail": "ops@example.com"}
        tenant_id = client.post("/v1.0/tenants", json=body).json()["tenantId"]
        hooks = f"/v1.0/tenants/{tenant_id}/webhooks"
        registered = client.post(hooks, json={"url": f"http://127.0.0.1:{port}/bbws", "eventTypes": ["bbws.tenant.*"]})
        assert registered.status_code == 201, registered.text
        hook = registered.json()
        log = tmp_path / "receiver.log"
        with receiver(language, port, hook["secret"], log) as process:
            park = finish(
                client,
                client.post(
                    f"/v1.0/tenants/{tenant_id}/lifecycle/park", json={"reason": "Parked by the receiver test"}
                ),
            )
            unpark = finish(client, client.post(f"/v1.0/tenants/{tenant_id}/lifecycle/unpark"))
            assert (park["status"], unpark["status"]) == ("COMPLETED", "COMPLETED")
            ping = client.post(hook["_links"]["test"]["href"])
            assert ping.status_code == 202, ping.text
            log_lines(
                log,
                process,
                [
                    rf"verified evt_[0-9a-z]{{26}} bbws\.tenant\.parked tenant/{tenant_id}",
                    rf"verified evt_[0-9a-z]{{26}} bbws\.tenant\.unparked tenant/{tenant_id}",
                    rf"verified {ping.json()['eventId']} bbws\.webhook\.test webhook/{hook['webhookId']}",
                ],
            )

            url = f"http://127.0.0.1:{port}/bbws"
            event = json.dumps(
                {
                    "id": f"evt_{uuid.uuid4().hex[:26]}",
                    "type": "bbws.tenant.parked",
                    "subject": f"tenant/{tenant_id}",
                    "data": {"reason": "Parked by the receiver test"},
                }
            )
            assert signed_post(url, hook["secret"], event, sent=event.replace("Parked", "Unparked")) in (400, 401)
            assert signed_post(url, hook["secret"], event, age=600) in (400, 401)
            assert signed_post(url, "whsec_" + "A" * 32, event) in (400, 401)
            assert signed_post(url, hook["secret"], event) == 204
            assert signed_post(url, hook["secret"], event) == 204
            lines = log_lines(log, process, [rf"repeated {json.loads(event)['id']} bbws\.tenant\.parked"])

        deliveries = client.get(f"{hooks}/{hook['webhookId']}/deliveries").json()["items"]
    assert sum(line.startswith("rejected: ") for line in lines) == 3
    assert sum(line.startswith(f"verified {json.loads(event)['id']} ") for line in lines) == 1
    answered = {d["eventType"]: d["attempts"][0]["statusCode"] for d in deliveries if d["attempts"]}
    assert answered.get("bbws.tenant.parked") == answered.get("bbws.tenant.unparked") == 204


# -- the guides, checked


def guides() -> list[Path]:
    """The API guides, the guides beside the examples, and the runbooks."""
    return sorted([*DOCS.glob("*.md"), *EXAMPLES.glob("*.md"), *(DOCS.parent / "runbooks").glob("*.md")])


def fenced_blocks(path: Path) -> Iterator[tuple[int, str | None, str, str]]:
    """(line number, sample reference or None, info string, text) of each fenced block of a guide.
    A sample reference is a path under docs/api, wherever the guide is."""
    lines = path.read_text().split("\n")
    index, reference = 0, None
    while index < len(lines):
        line = lines[index]
        mark = SAMPLE_MARK.match(line)
        if mark:
            reference = mark.group(1)
            assert lines[index + 1].startswith("```"), f"{path.name}:{index + 1}: a sample mark must precede a fence"
        elif line.startswith("```"):
            start, info = index, line[3:].strip()
            index += 1
            while index < len(lines) and lines[index] != "```":
                index += 1
            assert index < len(lines), f"{path.name}:{start + 1}: unclosed fence"
            yield start + 1, reference, info, "\n".join(lines[start + 1 : index]) + "\n"
            reference = None
        index += 1


def test_the_guides_exist() -> None:
    names = {p.name for p in guides()}
    assert {
        "getting-started.md",
        "authentication.md",
        "tenant-api-guide.md",
        "error-handling.md",
        "pagination.md",
        "webhooks-events.md",
        "operations-and-dlq.md",
        "handle-events.md",
        "aws-jobs-and-events.md",
    } <= names


def test_samples_shown_in_the_guides_are_the_files_byte_for_byte() -> None:
    shown = 0
    for guide in guides():
        for line, reference, _, text in fenced_blocks(guide):
            if reference is None:
                continue
            path = DOCS / reference
            assert path.is_file(), f"{guide.name}:{line}: {reference} does not exist"
            assert text.encode() == path.read_bytes(), f"{guide.name}:{line}: the block differs from {reference}"
            shown += 1
    assert shown >= 2 * len(SAMPLES)


def test_every_sample_file_is_shown_in_a_guide_and_run_by_this_module() -> None:
    files = {p.relative_to(DOCS).as_posix() for p in EXAMPLES.rglob("*") if p.suffix in (".py", ".mjs")}
    names = (*SAMPLES, *RECEIVERS)
    run = {sample_path(n, lang).relative_to(DOCS).as_posix() for n in names for lang in ("python", "js")}
    shown = {ref for guide in guides() for _, ref, _, _ in fenced_blocks(guide) if ref}
    assert files == run, "every sample must be listed in SAMPLES or RECEIVERS (and so be run)"
    assert files <= shown, f"samples not shown in any guide: {sorted(files - shown)}"


def test_json_examples_in_the_guides_parse() -> None:
    for guide in guides():
        for line, _, info, text in fenced_blocks(guide):
            if info == "json":
                try:
                    json.loads(text)
                except ValueError as exc:
                    raise AssertionError(f"{guide.name}:{line}: invalid JSON: {exc}") from exc


def stable_codes() -> set[str]:
    """Every literal problem code in the code base (`code="..."`, the error classes, `not_found("kind", ...)`)."""
    found: set[str] = set()
    for path in (ROOT / "src" / "bbws").rglob("*.py"):
        where = path.relative_to(ROOT / "src" / "bbws").as_posix()
        if "openapi" in where:  # sample problems for the documents
            continue
        if where.startswith(("instances/local/", "instances/gitops/", "core/driver.py")):
            continue  # runtime drivers' DriverError codes: their reason reaches callers in the Operation's error
        text = path.read_text()
        found |= set(re.findall(r'code="([A-Z][A-Z0-9_]+)"', text))
        found |= set(re.findall(r'\bcode, title = \d{3}, "([A-Z_]+)"', text))
        found |= set(re.findall(r'\bcode, title = "([A-Z_]+)"', text))
        found |= {f"{kind.upper()}_NOT_FOUND" for kind in re.findall(r'not_found\("([a-z]+)"', text)}
        if path.name == "http.py":
            found |= set(re.findall(r'^\s+\d{3}: "([A-Z_]+)",$', text, flags=re.MULTILINE))
    return found


def test_every_error_code_is_in_the_error_table() -> None:
    rows = re.findall(
        r"^\| `([A-Z][A-Z0-9_]+)` \| \d{3} \|", (DOCS / "error-handling.md").read_text(), flags=re.MULTILINE
    )
    table = set(rows)
    codes = stable_codes()
    assert {"VALIDATION_ERROR", "TENANT_NOT_FOUND", "INVALID_STATUS_TRANSITION", "RATE_LIMITED"} <= codes
    assert codes <= table, f"codes missing from error-handling.md: {sorted(codes - table)}"


# Quoted strings that look like `area.verb` but are no event: a file name and a git config key.
NOT_EVENTS = {"bbws.instance.json", "bbws.user.email"}


def emitted_event_types() -> set[str]:
    """Every event type the code emits: `bbws.{action}` of each audited action, and the literal `bbws.*` types."""
    areas = "tenant|division|group|team|user|invitation|webhook|operation|site|instance|plugin|template"
    found: set[str] = set()
    for path in (ROOT / "src" / "bbws").rglob("*.py"):
        text = path.read_text()
        found |= {f"bbws.{a}" for a in re.findall(rf'"((?:{areas})\.[a-z_]+)"', text)} - NOT_EVENTS
        found |= set(re.findall(rf'"(bbws\.(?:{areas})\.[a-z_]+)"', text))  # logger names are bbws.{package}
        for verb in re.findall(r'f"\{kind\}\.([a-z_]+)"', text):
            found |= {f"bbws.{kind}.{verb}" for kind in ("division", "group", "team")}
    return found


def test_the_event_catalogue_lists_every_event_type_the_code_emits() -> None:
    text = (DOCS / "webhooks-events.md").read_text()
    catalogue = set(re.findall(r"^\| `(bbws\.[a-z_]+\.[a-z_]+)` \|", text, flags=re.MULTILINE))
    emitted = emitted_event_types()
    assert {"bbws.tenant.parked", "bbws.tenant.unparked", "bbws.team.deleted", "bbws.webhook.test"} <= emitted
    assert emitted <= catalogue, f"event types missing from the catalogue: {sorted(emitted - catalogue)}"
    assert catalogue <= emitted, f"the catalogue lists types the code does not emit: {sorted(catalogue - emitted)}"


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    prose = re.sub(r"^```.*?^```$", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    headings = re.findall(r"^#+ (.+)$", prose, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_relative_links_in_the_guides_resolve() -> None:
    for guide in guides():
        for target, anchor in re.findall(r"\]\(([^)#:\s]*)(?:#([^)\s]+))?\)", guide.read_text()):
            path = guide.parent / target if target else guide
            assert path.exists(), f"{guide.name}: link to {target} is broken"
            if anchor:
                assert anchor in anchors(path), f"{guide.name}: no heading #{anchor} in {path.name}"
