<?php
// Router of one BBWS instance under `php -S`: `/` lists its sites; `/{path}/...` is the WordPress site in
// the folder {path} of the document root (a 503 while the site's maintenance flag is set); anything else is 404.

$bbws_root = rtrim($_SERVER['DOCUMENT_ROOT'], '/');
$bbws_uri = rawurldecode(parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/');

function bbws_page(int $status, string $title, string $body): bool
{
    http_response_code($status);
    header('Content-Type: text/html; charset=utf-8');
    header('Cache-Control: no-store');
    $title = htmlspecialchars($title);
    echo "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>$title</title></head>"
        . "<body><h1>$title</h1>$body</body></html>\n";
    return true;
}

function bbws_status_page(): bool
{
    $registry = getenv('BBWS_SITES') ?: '';
    $sites = is_file($registry) ? (json_decode((string) file_get_contents($registry), true)['sites'] ?? []) : [];
    $items = '';
    foreach ($sites as $site) {
        if (($site['status'] ?? '') !== 'ready') {
            continue;
        }
        $path = htmlspecialchars($site['path']);
        $title = htmlspecialchars($site['title'] ?? $site['path']);
        $state = is_file($_SERVER['DOCUMENT_ROOT'] . '/' . $site['path'] . '/.bbws-maintenance') ? ' (maintenance)' : '';
        $items .= "<li><a href=\"/$path/\">$title</a>$state</li>";
    }
    $name = getenv('BBWS_INSTANCE') ?: 'instance';
    $body = $items === '' ? '<p>No sites yet.</p>' : "<ul class=\"sites\">$items</ul>";
    return bbws_page(200, "BBWS instance $name", $body);
}

if ($bbws_uri === '/') {
    return bbws_status_page();
}
if (!preg_match('#^/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(/.*)?$#', $bbws_uri, $bbws_match)
    || !is_file("$bbws_root/{$bbws_match[1]}/index.php")
    || preg_match('#/\.#', $bbws_match[2] ?? '')) {
    return bbws_page(404, 'Not found', '<p>No site here.</p>');
}
$bbws_path = $bbws_match[1];
$bbws_site = "$bbws_root/$bbws_path";
$bbws_rest = $bbws_match[2] ?? '';
if (is_file("$bbws_site/.bbws-maintenance")) {
    header('Retry-After: 3600');
    return bbws_page(503, 'Site unavailable', '<p>This site is in maintenance. Please come back later.</p>');
}
$bbws_file = $bbws_site . $bbws_rest;
if ($bbws_rest === '' || (substr($bbws_rest, -1) !== '/' && is_dir($bbws_file))) {
    $bbws_query = parse_url($_SERVER['REQUEST_URI'], PHP_URL_QUERY);
    header('Location: ' . "/$bbws_path" . ($bbws_rest === '' ? '/' : $bbws_rest . '/')
        . ($bbws_query ? "?$bbws_query" : ''), true, 301);
    return true;
}
if (is_file($bbws_file) || (is_dir($bbws_file) && is_file($bbws_file . 'index.php'))) {
    return false; // the built-in server sends the file, or runs it when it is PHP
}
// Pretty permalinks, /wp-json/ and the sitemaps: WordPress's front controller, as Apache's rewrite would do.
$_SERVER['SCRIPT_NAME'] = "/$bbws_path/index.php";
$_SERVER['PHP_SELF'] = "/$bbws_path/index.php";
$_SERVER['SCRIPT_FILENAME'] = "$bbws_site/index.php";
chdir($bbws_site);
require "$bbws_site/index.php";
return true;
