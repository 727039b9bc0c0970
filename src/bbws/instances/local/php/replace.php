<?php
// Search-replace over a site's tables, keeping serialized PHP valid: serialized values are parsed (arrays, objects,
// nested serialized strings), only string payloads change and their lengths are rewritten. Objects are never
// instantiated. Used by search-replace.php and by admin.php's finish-copy (needs wp-load: the DB_* constants).

/** The value with $old replaced, serialized payloads included; plain text when it does not parse whole. */
function bbws_replace_value(string $value, string $old, string $new): string
{
    if (strpos($value, $old) === false) {
        return $value;
    }
    $pos = 0;
    $parsed = bbws_parse($value, $pos, $old, $new);
    if ($parsed !== null && $pos === strlen($value)) {
        return $parsed;
    }
    return str_replace($old, $new, $value);
}

/** A key (i:N; or s:N:"..";) copied as it is: keys are names, not content. */
function bbws_parse_key(string $s, int &$pos): ?string
{
    if (preg_match('/\Gi:-?\d+;/', $s, $m, 0, $pos)) {
        $pos += strlen($m[0]);
        return $m[0];
    }
    if (preg_match('/\Gs:(\d+):"/', $s, $m, 0, $pos)) {
        $end = $pos + strlen($m[0]) + (int) $m[1];
        if (substr($s, $end, 2) !== '";') {
            return null;
        }
        $token = substr($s, $pos, $end + 2 - $pos);
        $pos = $end + 2;
        return $token;
    }
    return null;
}

/** Members of an array or object: $count key/value pairs, then '}'. */
function bbws_parse_members(string $s, int &$pos, int $count, string $old, string $new): ?string
{
    $out = '';
    for ($i = 0; $i < $count; $i++) {
        $key = bbws_parse_key($s, $pos);
        $value = $key === null ? null : bbws_parse($s, $pos, $old, $new);
        if ($value === null) {
            return null;
        }
        $out .= $key . $value;
    }
    if (($s[$pos] ?? '') !== '}') {
        return null;
    }
    $pos++;
    return $out . '}';
}

/** One serialized value starting at $pos, with its strings replaced; null when it is not serialized PHP. */
function bbws_parse(string $s, int &$pos, string $old, string $new): ?string
{
    $type = $s[$pos] ?? '';
    if ($type === 'N' && ($s[$pos + 1] ?? '') === ';') {
        $pos += 2;
        return 'N;';
    }
    if (strpos('bidrR', $type) !== false && $type !== '' && preg_match('/\G[bidrR]:[-+0-9.EINFA]+;/', $s, $m, 0, $pos)) {
        $pos += strlen($m[0]);
        return $m[0];
    }
    if (($type === 's' || $type === 'E') && preg_match('/\G[sE]:(\d+):"/', $s, $m, 0, $pos)) {
        $start = $pos + strlen($m[0]);
        $length = (int) $m[1];
        if ($start + $length + 2 > strlen($s) || substr($s, $start + $length, 2) !== '";') {
            return null;
        }
        $payload = substr($s, $start, $length);
        $pos = $start + $length + 2;
        if ($type === 'E') {
            return "E:$length:\"$payload\";";
        }
        $payload = bbws_replace_value($payload, $old, $new);
        return 's:' . strlen($payload) . ':"' . $payload . '";';
    }
    if ($type === 'a' && preg_match('/\Ga:(\d+):\{/', $s, $m, 0, $pos)) {
        $pos += strlen($m[0]);
        $members = bbws_parse_members($s, $pos, (int) $m[1], $old, $new);
        return $members === null ? null : $m[0] . $members;
    }
    if ($type === 'O' && preg_match('/\GO:(\d+):"([^"]*)":(\d+):\{/', $s, $m, 0, $pos) && strlen($m[2]) === (int) $m[1]) {
        $pos += strlen($m[0]);
        $members = bbws_parse_members($s, $pos, (int) $m[3], $old, $new);
        return $members === null ? null : $m[0] . $members;
    }
    if ($type === 'C' && preg_match('/\GC:(\d+):"([^"]*)":(\d+):\{/', $s, $m, 0, $pos)) {
        // Custom serialization (Serializable): its payload is the class's own format, copied as it is.
        $end = $pos + strlen($m[0]) + (int) $m[3];
        if (($s[$end] ?? '') !== '}') {
            return null;
        }
        $token = substr($s, $pos, $end + 1 - $pos);
        $pos = $end + 1;
        return $token;
    }
    return null;
}

/** Replaces $old by $new in the text columns of the tables starting with $prefix; the values changed. */
function bbws_replace_tables(mysqli $db, string $prefix, string $old, string $new): int
{
    $changed = 0;
    $like = '%' . addcslashes($old, '\\%_') . '%';
    $q = fn (string $name): string => '`' . str_replace('`', '``', $name) . '`';
    foreach ($db->query('SHOW TABLES')->fetch_all() as [$table]) {
        if (strpos($table, $prefix) !== 0) {
            continue;
        }
        $text = [];
        $keys = [];
        foreach ($db->query('SHOW COLUMNS FROM ' . $q($table))->fetch_all(MYSQLI_ASSOC) as $column) {
            if (preg_match('/char|text/i', $column['Type'])) {
                $text[] = $column['Field'];
            }
            if ($column['Key'] === 'PRI') {
                $keys[] = $column['Field'];
            }
        }
        foreach ($text as $column) {
            // Without a primary key, a row is found again by the value itself.
            $where = $keys ?: [$column];
            $select = $db->prepare('SELECT ' . implode(', ', array_map($q, array_unique([...$where, $column])))
                . ' FROM ' . $q($table) . ' WHERE ' . $q($column) . ' LIKE ?');
            $select->bind_param('s', $like);
            $select->execute();
            $rows = $select->get_result()->fetch_all(MYSQLI_ASSOC);
            $update = $db->prepare('UPDATE ' . $q($table) . ' SET ' . $q($column) . ' = ? WHERE '
                . implode(' AND ', array_map(fn ($k) => $q($k) . ' = ?', $where)));
            foreach ($rows as $row) {
                $value = $row[$column];
                $replaced = $value === null ? null : bbws_replace_value($value, $old, $new);
                if ($replaced === $value) {
                    continue;
                }
                $params = [$replaced, ...array_map(fn ($k) => (string) $row[$k], $where)];
                $update->bind_param(str_repeat('s', count($params)), ...$params);
                $update->execute();
                $changed++;
            }
        }
    }
    return $changed;
}

/** Every pair replaced in every text column of the site's tables; how many values changed. */
function bbws_search_replace(array $pairs): int
{
    foreach ($pairs as $pair) {
        [$old, $new] = is_array($pair) ? array_pad($pair, 2, null) : [null, null];
        if (!is_string($old) || $old === '' || !is_string($new)) {
            bbws_fail('each replacement needs a non-empty string to replace and a string to put instead', 'BAD_INPUT');
        }
    }
    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    [$host, $socket] = array_pad(explode(':', DB_HOST, 2), 2, null);
    $db = new mysqli($host, DB_USER, DB_PASSWORD, DB_NAME, 0, $socket);
    $db->set_charset('utf8mb4');
    $changed = 0;
    foreach ($pairs as [$old, $new]) {
        $changed += bbws_replace_tables($db, $GLOBALS['table_prefix'], $old, $new);
    }
    $db->close();
    return $changed;
}
