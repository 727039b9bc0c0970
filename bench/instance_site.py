"""`python -m bench instance-site`: a site installed through the local driver vs the same steps as a plain shell
script (goal <= 1.5), and warm page requests through the instance's router vs a plain `php -S` (goal <= 1.2).

Install: one instance is provisioned (its MariaDB, core template and `php -S` group ready, untimed). Each round
times `install_site` until the site's front page answers 200, and a bash script doing the recipe by hand into a
folder of the same document root: CREATE DATABASE / USER / GRANT with the `mariadb` client, `cp -al` of the core
template and `cp -a` of its wp-content, a here-doc wp-config.php, the runtime's mu-plugin, `wp_install()` from
`php -r`, then the same wait for the first 200. Sites are removed between rounds (untimed); the medians compare.

Serving: the driver's site is requested warm (`GET /{path}/`, and `/{path}/wp-json/`) through the instance (its
router, its workers) and through a plain `php -S` with the same PHP flags and workers over the same folder, whose
router is the recipe's dozen lines (a file, or WordPress's index.php). Rounds alternate; the medians compare.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bbws.core.driver import InstanceSpec, SiteSpec
from bbws.core.ids import new_id
from bbws.instances.local import LocalDriver, processes
from bbws.instances.local.wordpress import PHP_DIR
from bench.common import Goal, median, table

INSTALL_GOAL = 1.5
SERVE_GOAL = 1.2


@dataclass(frozen=True)
class Sizes:
    rounds: int
    requests: int


FULL = Sizes(rounds=5, requests=200)
SMOKE = Sizes(rounds=1, requests=5)

RAW_INSTALL = r"""#!/usr/bin/env bash
# The recipe by hand: database and user, linked core, copied wp-content, config, wp_install().
set -euo pipefail
mariadb --defaults-file="$CNF" -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE USER '$DB'@'localhost' IDENTIFIED BY '$PW'; GRANT ALL ON \`${DB//_/\\_}\`.* TO '$DB'@'localhost';"
cp -al "$CORE" "$SITE"
rm -rf "$SITE/wp-content"
cp -a "$CORE/wp-content" "$SITE/wp-content"
mkdir -p "$SITE/wp-content/mu-plugins"
cp "$MU" "$SITE/wp-content/mu-plugins/bbws-runtime.php"
salt() { head -c 48 /dev/urandom | base64 | tr -d '\n/+='; }
cat > "$SITE/wp-config.php" <<EOF
<?php
define('DB_NAME', '$DB'); define('DB_USER', '$DB'); define('DB_PASSWORD', '$PW');
define('DB_HOST', 'localhost:$SOCK'); define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');
define('AUTH_KEY', '$(salt)'); define('SECURE_AUTH_KEY', '$(salt)'); define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)'); define('AUTH_SALT', '$(salt)'); define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)'); define('NONCE_SALT', '$(salt)');
define('WP_HOME', '$URL'); define('WP_SITEURL', '$URL');
define('AUTOMATIC_UPDATER_DISABLED', true); define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true); define('FS_METHOD', 'direct');
define('BBWS_MAIL_LOG', '$MAIL');
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
EOF
cd "$SITE"
HOST="${URL#http://}"
export HOST="${HOST%%/*}" REQ="/${URL#http://*/}/"
"$PHP" -r '
define("WP_INSTALLING", true);
$_SERVER["HTTP_HOST"] = getenv("HOST"); $_SERVER["REQUEST_URI"] = getenv("REQ");
require getcwd() . "/wp-load.php"; require_once ABSPATH . "wp-admin/includes/upgrade.php";
wp_install("Raw", "admin", "owner@example.com", true, "", wp_slash(getenv("PW")));
global $wp_rewrite; $wp_rewrite->set_permalink_structure("/%postname%/"); flush_rewrite_rules(false);' >/dev/null
"""

PLAIN_ROUTER = """<?php
$uri = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$site = explode('/', trim($uri, '/'))[0];
$file = $_SERVER['DOCUMENT_ROOT'] . $uri;
if (is_file($file) || (is_dir($file) && is_file(rtrim($file, '/') . '/index.php'))) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = "/$site/index.php";
$_SERVER['PHP_SELF'] = "/$site/index.php";
chdir($_SERVER['DOCUMENT_ROOT'] . "/$site");
require $_SERVER['DOCUMENT_ROOT'] . "/$site/index.php";
"""


def wait_200(port: int, path: str, *, timeout: float = 30.0, host: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while processes.http_status(port, path, timeout=5, host=host) != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"http://127.0.0.1:{port}{path} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.01)


def timed_get(port: int, path: str, host: str) -> float:
    """Seconds for one GET on a new connection; `host` is the site's own (WordPress redirects any other)."""
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Connection": "close", "Host": host})
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return time.perf_counter() - began


class Bench:
    def __init__(self, folder: Path) -> None:
        block = 20_000 + (os.getpid() % 90) * 100
        self.driver = LocalDriver(folder / "runtime", port_range=range(block, block + 100))
        versions = self.driver.versions()
        self.spec = InstanceSpec(tenant_id=new_id("ten"), environment="dev", instance_id=new_id("ins"),
                                 desired_count=2, wordpress_version=versions.default_wordpress,
                                 php_version=versions.default_php)
        self.folder = folder
        self.script = folder / "raw-install.sh"
        self.script.write_text(RAW_INSTALL)

    def driver_install(self) -> tuple[float, str]:
        key = new_id("site")
        began = time.perf_counter()
        info = self.driver.install_site(self.spec, SiteSpec(key=key, path=f"d{key[-10:]}", title="Bench",
                                                            admin_email="owner@example.com"))
        wait_200(self.port, f"/{info.path}/")
        return time.perf_counter() - began, key

    def raw_install(self) -> tuple[float, str]:
        key = new_id("raw")
        path = f"r{key[-10:]}"
        env = {"PATH": os.environ.get("PATH", os.defpath), "CNF": str(self.driver.db.client_cnf), "DB": f"wp_{key}",
               "PW": "Bench" + key[-12:], "CORE": str(self.driver.cores.ensure(self.spec.wordpress_version)),
               "SITE": str(self.driver.files(self.spec).www / path), "SOCK": str(self.driver.db.socket),
               "URL": f"http://127.0.0.1:{self.port}/{path}", "PHP": self.driver.tools.php(self.spec.php_version),
               "MU": str(PHP_DIR / "mu-plugin.php"), "MAIL": str(self.driver.files(self.spec).mail / f"{key}.jsonl")}
        began = time.perf_counter()
        subprocess.run(["bash", str(self.script)], env=env, check=True, timeout=120)
        wait_200(self.port, f"/{path}/")
        return time.perf_counter() - began, key

    def remove_raw(self, key: str) -> None:
        self.driver.db.drop_site_database(f"wp_{key}")
        shutil.rmtree(self.driver.files(self.spec).www / f"r{key[-10:]}", ignore_errors=True)

    @property
    def port(self) -> int:
        return int(self.driver.files(self.spec).read_state()["port"])

    def install(self, sizes: Sizes) -> Goal:
        self.remove_raw(self.raw_install()[1])  # warm-up: page cache, opcache of the CLI
        self.driver.delete_site(self.spec, self.driver_install()[1])
        ours: list[float] = []
        raw: list[float] = []
        for number in range(1, sizes.rounds + 1):
            seconds, key = self.driver_install()
            ours.append(seconds)
            self.driver.delete_site(self.spec, key)
            seconds, key = self.raw_install()
            raw.append(seconds)
            self.remove_raw(key)
            print(f"round {number}: driver {ours[-1] * 1000:.0f} ms, script {raw[-1] * 1000:.0f} ms")
        print(table(["install -> first 200 (median)", "ms"],
                    [["driver.install_site", f"{median(ours) * 1000:.0f}"],
                     ["shell script (recipe)", f"{median(raw) * 1000:.0f}"]]))
        return Goal("site install driver/script", median(ours) / median(raw), "<=", INSTALL_GOAL)

    def serve(self, sizes: Sizes) -> list[Goal]:
        key = self.driver_install()[1]
        info = self.driver.site_info(self.spec, key)
        assert info is not None
        path = info.path
        router = self.folder / "plain-router.php"
        router.write_text(PLAIN_ROUTER)
        files = self.driver.files(self.spec)
        plain_port = processes.free_port()
        server = processes.PhpServer(binary=self.driver.tools.php(self.spec.php_version), port=plain_port,
                                     docroot=files.www, router=router, workers=self.spec.desired_count,
                                     flags=["-d", "display_errors=0", "-d", "log_errors=1"])
        pid = processes.spawn(server.argv(), env=server.environment(), log=self.folder / "plain-php.log")
        goals = []
        host = f"127.0.0.1:{self.port}"
        try:
            wait_200(plain_port, f"/{path}/", host=host)
            rows = []
            for page in (f"/{path}/", f"/{path}/wp-json/"):
                ours: list[float] = []
                plain: list[float] = []
                for port in (self.port, plain_port):
                    for _ in range(5):
                        timed_get(port, page, host)  # warm: opcache, MariaDB buffers
                for _ in range(sizes.rounds):
                    ours.append(median([timed_get(self.port, page, host) for _ in range(sizes.requests)]))
                    plain.append(median([timed_get(plain_port, page, host) for _ in range(sizes.requests)]))
                rows.append([page.replace(path, "{path}"), f"{median(ours) * 1000:.1f}", f"{median(plain) * 1000:.1f}",
                             f"{median(ours) / median(plain):.2f}"])
                goals.append(Goal(f"GET {rows[-1][0]} instance/plain php -S", median(ours) / median(plain), "<=",
                                  SERVE_GOAL))
            print(table(["warm GET (median of rounds)", "instance ms", "plain php -S ms", "ratio"], rows))
        finally:
            processes.stop_group(pid)
            self.driver.delete_site(self.spec, key)
        return goals


def run(*, sizes: Sizes = FULL) -> list[Goal]:
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as folder:
        bench = Bench(Path(folder))
        missing = bench.driver.missing()
        if missing:
            print(f"skipped: the local runtime needs {' '.join(missing)}")
            return []
        try:
            began = time.perf_counter()
            bench.driver.provision(bench.spec)
            print(f"provision (first: MariaDB install + start, core template, php -S): "
                  f"{(time.perf_counter() - began) * 1000:.0f} ms")
            goals = [bench.install(sizes)]
            print(goals[0].line())
            goals += bench.serve(sizes)
            for goal in goals[1:]:
                print(goal.line())
        finally:
            bench.driver.deprovision(bench.spec, export_dir=None)
            bench.driver.shutdown()
    return goals


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench instance-site", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one round, a few requests, to check that it runs")
    parser.add_argument("--rounds", type=int, help="install rounds per side, and serving rounds")
    parser.add_argument("--requests", type=int, help="requests per serving round")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    return run(sizes=Sizes(rounds=args.rounds or sizes.rounds, requests=args.requests or sizes.requests))
