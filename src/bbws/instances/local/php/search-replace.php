<?php
// Replaces one string with another in every text column of the site's tables, keeping serialized PHP valid:
// serialized values are parsed (arrays, objects, nested serialized strings), only string payloads change and
// their lengths are rewritten. Objects are never instantiated. Answers {"changed": values changed}.
require __DIR__ . '/lib.php';
$input = bbws_prepare(true);
require $input['dir'] . '/wp-load.php';
require __DIR__ . '/replace.php';

// Either one pair (old, new) or several (pairs: [[old, new], ...]) in one pass over the tables.
$pairs = $input['pairs'] ?? [[$input['old'] ?? '', $input['new'] ?? '']];
bbws_answer(['changed' => bbws_search_replace(is_array($pairs) ? $pairs : [])]);
