"""`python -m bench sites`: a site created from a template and a clone of a site with 1,000 posts and 50 MB of
uploads, each through the API until the new site answers 200, against the same steps done raw (goals <= 1.5).

The API runs in process on a temporary data dir (SQLite, the local runtime, jobs run by the worker's own loop in
this thread); one tenant (ENTERPRISE, so the quota never stops a round) has a `dev` instance with 2 workers.
Create: one warm-up create from the `business` template first (a built-in template's archive is built on first
use; that build is not measured), then each round times `POST /sites {templateId: business}` -> Operation ->
`GET {url}` answering 200, and a bash script doing the same steps by hand with the same archive: CREATE DATABASE /
USER / GRANT, `cp -al` of the core, the archive unpacked, its database.sql loaded, wp-config.php written (rendered
by the platform before the clock starts), the platform's search-replace.php for the URL, the same wait for 200.
Clone: a source site is filled (untimed) with posts by a PHP loop over `wp_insert_post` and uploads of random bytes
in wp-content/uploads/YYYY/MM; each round times `POST .../clone` -> 200, and raw `mariadb-dump | mariadb`, `cp -al`
of the core, `cp -a` of wp-content, wp-config.php, search-replace.php, wait for 200. The medians compare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient

from bbws.app import build_container, build_worker, create_app
from bbws.core.ids import new_id
from bbws.core.settings import Settings
from bbws.instances.local import LocalDriver, config, naming, processes
from bbws.instances.local.wordpress import PHP_DIR
from bbws.instances.runtime import stop_runtime
from bbws.sites.records import get_site, instance_spec_for
from bbws.templates.archives import read_manifest
from bench.common import Goal, median, table
from bench.spans import Spans

CREATE_GOAL = 1.5
CLONE_GOAL = 1.5
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass(frozen=True)
class Sizes:
    rounds: int
    posts: int
    uploads_mb: int


FULL = Sizes(rounds=3, posts=1000, uploads_mb=50)
SMOKE = Sizes(rounds=1, posts=20, uploads_mb=1)
UPLOAD_BYTES = 256 * 1024  # a web-sized photo; random bytes, which compress no better than a JPEG

RAW_HEAD = r"""#!/usr/bin/env bash
set -euo pipefail
mariadb --defaults-file="$CNF" -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE USER '$DB'@'localhost' IDENTIFIED BY '$PW'; GRANT ALL ON \`${DB//_/\\_}\`.* TO '$DB'@'localhost';"
cp -al "$CORE" "$SITE"
rm -rf "$SITE/wp-content"
"""
RAW_TAIL = r"""mkdir -p "$SITE/wp-content/mu-plugins"
cp "$MU" "$SITE/wp-content/mu-plugins/bbws-runtime.php"
cp "$CONFIG" "$SITE/wp-config.php"
cd "$SITE"
"$PHP" -d display_errors=stderr -d log_errors=0 -d memory_limit=512M "$SEARCH_REPLACE" < "$PAIRS" > /dev/null
"""
# A template: its archive unpacked (wp-content moved in place), its dump loaded.
RAW_CREATE = (
    RAW_HEAD
    + r"""mkdir -p "$WORK"
tar -xzf "$ARCHIVE" -C "$WORK"
mv "$WORK/wp-content" "$SITE/wp-content"
mariadb --defaults-file="$CNF" --default-character-set=utf8mb4 "$DB" < "$WORK/database.sql"
rm -rf "$WORK"
"""
    + RAW_TAIL
)
# A clone: the source's database piped into the new one, its wp-content copied.
RAW_CLONE = (
    RAW_HEAD
    + r"""mariadb-dump --defaults-file="$CNF" --single-transaction --hex-blob --skip-lock-tables \
  --default-character-set=utf8mb4 --routines --triggers "$SOURCE_DB" \
  | mariadb --defaults-file="$CNF" --default-character-set=utf8mb4 "$DB"
cp -a "$SOURCE/wp-content" "$SITE/wp-content"
"""
    + RAW_TAIL
)

# Posts through WordPress itself, in one PHP process (one `create-post` admin command each would take minutes).
SEED_POSTS = """<?php
require getenv('BBWS_PHP_LIB');
$input = bbws_prepare();
require $input['dir'] . '/wp-load.php';
wp_defer_term_counting(true);
$url = rtrim($input['url'], '/');
for ($n = 1; $n <= $input['posts']; $n++) {
    $body = "<!-- wp:paragraph --><p>Post $n links <a href=\\"$url/post-" . ($n - 1) . "/\\">the one before</a>.</p>"
        . "<!-- /wp:paragraph --><!-- wp:image --><figure class=\\"wp-block-image\\"><img src=\\"$url/wp-content/"
        . "uploads/" . $input['month'] . "/upload-" . ($n % 8) . ".jpg\\"/></figure><!-- /wp:image -->"
        . str_repeat("<!-- wp:paragraph --><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>"
            . "<!-- /wp:paragraph -->", 12);
    $id = wp_insert_post(['post_title' => "Post $n", 'post_name' => "post-$n", 'post_content' => $body,
                          'post_status' => 'publish'], true);
    if (is_wp_error($id)) {
        bbws_fail($id->get_error_message());
    }
    update_post_meta($id, 'bench_links', ['self' => "$url/post-$n/", 'home' => "$url/"]);
}
wp_defer_term_counting(false);
bbws_answer(['posts' => (int) wp_count_posts()->publish]);
"""


def listed(url: str, what: str, old_url: str) -> int:
    """How many published `what` (posts, pages) the site at `url` lists; fails when its first 100 still name
    `old_url` (the URL of what it was copied from)."""
    answer = httpx.get(f"{url}?rest_route=/wp/v2/{what}&per_page=100", timeout=60, trust_env=False)
    old = old_url.rstrip("/")
    if answer.status_code != 200 or old in answer.text or old.replace("/", "\\/") in answer.text:
        raise RuntimeError(f"{url}: {what} answered {answer.status_code} or still name {old}")
    return int(answer.headers["X-WP-Total"])


def wait_200(url: str, *, timeout: float = 60.0) -> None:
    parts = urlsplit(url)
    port, path = int(parts.port or 80), parts.path or "/"
    deadline = time.monotonic() + timeout
    while processes.http_status(port, path, timeout=10) != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.01)


def pairs(old: str, new: str) -> list[list[str]]:
    """What the platform's import rewrites: the URL, and the URL JSON-escaped as block content keeps it."""
    old, new = old.rstrip("/"), new.rstrip("/")
    return [[old, new], [old.replace("/", "\\/"), new.replace("/", "\\/")]]


class Bench:
    def __init__(self, folder: Path) -> None:
        block = 32_400 + (os.getpid() % 18) * 20  # below the ephemeral range, clear of the test suite's blocks
        self.folder = folder
        self.settings = Settings(
            data_dir=folder / "data",
            instance_ports=f"{block}-{block + 19}",
            rate_limit_token_per_second=10_000.0,
            rate_limit_token_burst=10_000,
            rate_limit_tenant_per_second=10_000.0,
            rate_limit_tenant_burst=10_000,
            health_interval_seconds=7 * 86_400,  # no periodic health sweep inside a timed round
            log_level="WARNING",
        )
        self.container = build_container(self.settings)
        self.client = TestClient(create_app(container=self.container), raise_server_exceptions=False)
        self.worker = build_worker(self.container)
        self.driver = cast(LocalDriver, self.container.runtime.get())
        self.spans = Spans()
        self.tenant_id = ""

    def admin(self) -> dict[str, str]:
        issuer = self.container.issuer
        assert issuer is not None
        return {"Authorization": "Bearer " + issuer.mint("bench-admin", groups=["platform-admin"], ttl_seconds=3600)}

    # -- the API -------------------------------------------------------------------------------------------------
    def finish(self, response: Any, headers: dict[str, str], *, timeout: float = 600.0) -> dict[str, Any]:
        """Run the queued jobs in this thread until the accepted call's Operation ends; the Operation."""
        if response.status_code != 202:
            raise RuntimeError(f"expected 202, got {response.status_code}: {response.text[:500]}")
        deadline = time.monotonic() + timeout
        while True:
            ran = self.worker.run_once(max_messages=10)
            operation = self.client.get(response.headers["location"], headers=headers).json()
            if operation.get("status") in TERMINAL:
                if operation["status"] != "COMPLETED":
                    raise RuntimeError(f"operation ended {operation['status']}: {operation.get('error')}")
                return dict(operation)
            if time.monotonic() > deadline:
                raise RuntimeError(f"operation still {operation.get('status')} after {timeout:.0f} s")
            if not ran:
                time.sleep(0.01)  # a job waiting out its retry delay

    def setup(self) -> None:
        from bbws.templates.builtin import seed_builtin

        seed_builtin(self.container)  # idempotent: when the server already seeded them, nothing is written
        headers = self.admin()
        body = {"organizationName": "Bench Org", "contactEmail": "ops@example.com", "tier": "ENTERPRISE"}
        tenant = self.client.post("/v1.0/tenants", json=body, headers=headers)
        assert tenant.status_code == 201, tenant.text
        self.tenant_id = tenant.json()["tenantId"]
        while self.worker.run_once(max_messages=10):
            pass
        instance = {"environment": "dev", "desiredCount": 2}
        self.finish(
            self.client.post(f"/v1.0/tenants/{self.tenant_id}/instances", json=instance, headers=headers), headers
        )

    @property
    def sites(self) -> str:
        return f"/v1.0/tenants/{self.tenant_id}/sites"

    def timed_call(self, path: str, body: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """POST, the Operation to its end, then the new site's URL until it answers 200; the site's record."""
        headers = self.admin()
        began = time.perf_counter()
        operation = self.finish(self.client.post(path, json=body, headers=headers), headers)
        url = self.client.get(operation["result"]["_links"]["site"]["href"], headers=headers).json()["url"]
        wait_200(url)
        seconds = time.perf_counter() - began
        site_id = operation["result"]["siteId"]
        return seconds, get_site(store=self.container.store, tenant_id=self.tenant_id, site_id=site_id)

    def api_create(self, template: str | None) -> tuple[float, dict[str, Any]]:
        sub = "c" + new_id("x")[-12:]
        body = {"siteName": "Bench", "subdomain": sub, "environment": "dev", "templateId": template}
        return self.timed_call(self.sites, {k: v for k, v in body.items() if v is not None})

    def api_clone(self, source: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        body = {"subdomain": "k" + new_id("x")[-12:], "siteName": "Bench Copy"}
        return self.timed_call(f"{self.sites}/{source['siteId']}/clone", body)

    # -- raw -------------------------------------------------------------------------------------------------
    @property
    def spec(self) -> Any:
        return instance_spec_for(self.container.store, {"tenantId": self.tenant_id, "environment": "dev"})

    def raw(self, script: str, old_url: str, **extra: str) -> tuple[float, str, str]:
        """Run a raw recipe into a new folder of the instance: seconds to the first 200, its key and its URL."""
        spec, files = self.spec, self.driver.files(self.spec)
        key = new_id("raw")
        database, secret = naming.database_name(key), config.password()
        url = naming.site_url(int(files.read_state()["port"]), "r" + key[-12:])
        site, prepared = files.site_dir("r" + key[-12:]), self.folder / key
        prepared.mkdir()
        mail = str(files.mail_log(key))
        settings = config.SiteConfig(database, database, secret, str(self.driver.db.socket), url, mail, key)
        (prepared / "wp-config.php").write_text(config.render(settings))
        (prepared / "pairs.json").write_text(json.dumps({"dir": str(site), "url": url, "pairs": pairs(old_url, url)}))
        (prepared / "recipe.sh").write_text(script)
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "CNF": str(self.driver.db.client_cnf),
            "DB": database,
            "PW": secret,
            "CORE": str(self.driver.cores.ensure(spec.wordpress_version)),
            "SITE": str(site),
            "MU": str(PHP_DIR / "mu-plugin.php"),
            "CONFIG": str(prepared / "wp-config.php"),
            "PHP": self.driver.tools.php(spec.php_version),
            "SEARCH_REPLACE": str(PHP_DIR / "search-replace.php"),
            "PAIRS": str(prepared / "pairs.json"),
            "WORK": str(prepared / "work"),
            **extra,
        }
        began = time.perf_counter()
        subprocess.run(["bash", str(prepared / "recipe.sh")], env=env, check=True, timeout=600)
        wait_200(url + "/")
        seconds = time.perf_counter() - began
        shutil.rmtree(prepared)
        return seconds, key, url + "/"

    def remove_raw(self, key: str) -> None:
        self.driver.db.drop_site_database(naming.database_name(key))
        shutil.rmtree(self.driver.files(self.spec).site_dir("r" + key[-12:]), ignore_errors=True)

    # -- rounds ------------------------------------------------------------------------------------------------
    def compare(
        self,
        sizes: Sizes,
        api: Callable[[], tuple[float, dict[str, Any]]],
        raw: Callable[[], tuple[float, str, str]],
        check: Callable[[str], None],
        what: str,
        rows: tuple[str, str],
    ) -> tuple[float, float]:
        """Alternate rounds (the API first); every new site is checked (untimed), the raw ones removed."""
        ours: list[float] = []
        bare: list[float] = []
        for number in range(1, sizes.rounds + 1):
            with self.spans.recording(self.driver):
                seconds, site = api()
            ours.append(seconds)
            check(site["url"])
            seconds, key, url = raw()
            bare.append(seconds)
            check(url)
            self.remove_raw(key)
            print(f"round {number}: API {ours[-1] * 1000:.0f} ms, raw {bare[-1] * 1000:.0f} ms")
        print(
            table(
                [f"{what} -> first 200 (median)", "ms"],
                [[rows[0], f"{median(ours) * 1000:.0f}"], [rows[1], f"{median(bare) * 1000:.0f}"]],
            )
        )
        print(self.spans.report(f"where the API {what} spends its time"))
        return median(ours), median(bare)

    def create(self, sizes: Sizes) -> Goal:
        from bbws.templates.service import find_usable

        began = time.perf_counter()
        first = self.api_create("business")[1]
        print(
            f"warm-up create from business (builds the template archive once, not measured): "
            f"{(time.perf_counter() - began) * 1000:.0f} ms"
        )
        archive = self.container.artifacts.local_path(
            find_usable(store=self.container.store, ref="business")["artifactKey"]
        )
        if archive is None:
            raise RuntimeError("the business template's archive is not in the local artifact store")
        old_url = str(read_manifest(archive)["url"])  # what the template's content links to
        pages = listed(first["url"], "pages", old_url)

        def check(url: str) -> None:
            if listed(url, "pages", old_url) != pages:
                raise RuntimeError(f"{url} does not list the template's {pages} pages")

        def raw() -> tuple[float, str, str]:
            return self.raw(RAW_CREATE, old_url, ARCHIVE=str(archive))

        _, key, url = raw()  # warm-up: page cache, the client tools
        check(url)
        self.remove_raw(key)
        rows = (
            "API: POST {templateId: business}, CreateSite job",
            "raw: database, cp -al, tar, mariadb, search-replace",
        )
        ours, bare = self.compare(sizes, lambda: self.api_create("business"), raw, check, "create from business", rows)
        return Goal("site create from template API/raw", ours / bare, "<=", CREATE_GOAL)

    def fill(self, site: dict[str, Any], sizes: Sizes) -> None:
        """Posts through WordPress and uploads of random bytes, as a site that has been used for a while."""
        month = time.strftime("%Y/%m")
        site_dir = self.driver.files(self.spec).site_dir(site["path"])
        script = self.folder / "seed-posts.php"
        script.write_text(SEED_POSTS)
        payload = {"dir": str(site_dir), "url": site["url"], "posts": sizes.posts, "month": month}
        done = subprocess.run(
            [self.driver.tools.php(self.spec.php_version), "-d", "memory_limit=512M", str(script)],
            input=json.dumps(payload).encode(),
            capture_output=True,
            env={"PATH": os.environ.get("PATH", os.defpath), "BBWS_PHP_LIB": str(PHP_DIR / "lib.php")},
            cwd=site_dir,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"seeding posts failed: {(done.stdout + done.stderr).decode(errors='replace')[-600:]}")
        uploads = site_dir / "wp-content" / "uploads" / month
        uploads.mkdir(parents=True, exist_ok=True)
        for number in range(sizes.uploads_mb * 1024 * 1024 // UPLOAD_BYTES):
            (uploads / f"upload-{number}.jpg").write_bytes(os.urandom(UPLOAD_BYTES))
        print(f"source site: {json.loads(done.stdout)['posts']} published posts, {sizes.uploads_mb} MB of uploads")

    def clone(self, sizes: Sizes) -> Goal:
        began = time.perf_counter()
        source = self.api_create(None)[1]
        self.fill(source, sizes)
        print(f"source site made and filled (not measured): {(time.perf_counter() - began) * 1000:.0f} ms")
        source_dir = self.driver.files(self.spec).site_dir(source["path"])

        def check(url: str) -> None:
            if listed(url, "posts", source["url"]) != sizes.posts + 1:  # with WordPress's own first post
                raise RuntimeError(f"{url} does not list the source's {sizes.posts + 1} posts")

        def raw() -> tuple[float, str, str]:
            database = naming.database_name(source["key"])
            return self.raw(RAW_CLONE, source["url"], SOURCE=str(source_dir), SOURCE_DB=database)

        rows = ("API: POST .../clone, CloneSite job", "raw: mariadb-dump | mariadb, cp -al, cp -a, search-replace")
        what = f"clone ({sizes.posts} posts, {sizes.uploads_mb} MB uploads)"
        ours, bare = self.compare(sizes, lambda: self.api_clone(source), raw, check, what, rows)
        return Goal("site clone API/raw", ours / bare, "<=", CLONE_GOAL)


def run(*, sizes: Sizes = FULL) -> list[Goal]:
    with tempfile.TemporaryDirectory(prefix="bench-sites-") as folder:
        bench = Bench(Path(folder))
        missing = bench.driver.missing()
        if missing:
            print(f"skipped: the local runtime needs {' '.join(missing)}")
            return []
        try:
            began = time.perf_counter()
            bench.setup()
            print(f"tenant and dev instance (2 workers) through the API: {(time.perf_counter() - began) * 1000:.0f} ms")
            goals = [bench.create(sizes)]
            print(goals[0].line())
            goals.append(bench.clone(sizes))
            print(goals[1].line())
        finally:
            stop_runtime(bench.container)
    return goals


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench sites", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one round, 20 posts and 1 MB, to check that it runs")
    parser.add_argument("--rounds", type=int, help="timed rounds per side (default 3)")
    parser.add_argument("--posts", type=int, help="posts in the clone's source (default 1000)")
    parser.add_argument("--uploads-mb", type=int, help="MB of uploads in the clone's source (default 50)")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    return run(
        sizes=Sizes(
            rounds=args.rounds or sizes.rounds,
            posts=args.posts or sizes.posts,
            uploads_mb=args.uploads_mb or sizes.uploads_mb,
        )
    )
