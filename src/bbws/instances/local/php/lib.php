<?php
// Shared by the BBWS command-line scripts: JSON in on stdin, JSON out on stdout (anything WordPress or a plugin
// prints is held back), a request environment that matches the site's URL, and WordPress loaded for one site.

ob_start();
$GLOBALS['bbws_answered'] = false;
register_shutdown_function(function () {
    if (!$GLOBALS['bbws_answered']) {
        // An exit or a fatal error before the answer: hand what was printed to stderr for the caller's message.
        $printed = '';
        while (ob_get_level() > 0) {
            $printed .= (string) ob_get_clean();
        }
        // wp_die pages carry a stylesheet: drop it (and scripts) so the message is the text a visitor would read.
        $printed = (string) preg_replace('#<(style|script)\b.*?</\1>#is', '', $printed);
        fwrite(STDERR, substr(trim((string) preg_replace('/\s+/', ' ', strip_tags($printed))), -2000));
    }
});

function bbws_answer($data, int $code = 0): void
{
    $GLOBALS['bbws_answered'] = true;
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    fwrite(STDOUT, json_encode($data, JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR));
    exit($code);
}

function bbws_fail(string $message, string $code = 'ADMIN_FAILED'): void
{
    bbws_answer(['error' => $message, 'code' => $code], 2);
}

function bbws_input(): array
{
    $input = json_decode((string) stream_get_contents(STDIN), true);
    if (!is_array($input) || !isset($input['dir'], $input['url'])) {
        bbws_fail('the input must be a JSON object with dir and url', 'BAD_INPUT');
    }
    return $input;
}

function bbws_request_for(string $url): void
{
    $parts = parse_url($url);
    $host = $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
    $_SERVER['HTTP_HOST'] = $host;
    $_SERVER['SERVER_NAME'] = $parts['host'];
    $_SERVER['SERVER_PORT'] = (string) ($parts['port'] ?? 80);
    $_SERVER['REQUEST_URI'] = rtrim($parts['path'] ?? '', '/') . '/';
    $_SERVER['REQUEST_METHOD'] = 'GET';
    $_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
    $_SERVER['REMOTE_ADDR'] = '127.0.0.1';
}

/** Reads the input and prepares the request; the caller then requires wp-load.php at the top level, since
 * WordPress keeps its state in global variables. */
function bbws_prepare(bool $short = false): array
{
    $input = bbws_input();
    bbws_request_for($input['url']);
    if ($short) {
        define('SHORTINIT', true);
    }
    return $input;
}
