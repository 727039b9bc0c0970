<?php
// Administration commands run inside one site as its first administrator; stdin {dir, url, command, args},
// stdout the command's JSON answer (or {"error", "code"} with exit status 2).
require __DIR__ . '/lib.php';
$input = bbws_prepare();
// A plugin that throws (while WordPress loads it, or on activation) is reported in one line naming its file,
// without a stack trace.
set_exception_handler(function (Throwable $error) {
    $file = preg_replace('#^.*/(wp-(?:content|includes|admin)/)#', '$1', $error->getFile());
    bbws_fail(get_class($error) . ': ' . $error->getMessage() . " in $file:" . $error->getLine(), 'PHP_ERROR');
});
require $input['dir'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';

$args = is_array($input['args'] ?? null) ? $input['args'] : [];
$admins = get_users(['role' => 'administrator', 'number' => 1, 'orderby' => 'ID', 'order' => 'ASC']);
if ($admins) {
    wp_set_current_user($admins[0]->ID);
}
// Loopback checks (site health) must not hold the script long when the instance is stopped.
add_filter('http_request_timeout', fn () => 3);

function bbws_arg(array $args, string $name): string
{
    if (!isset($args[$name]) || !is_string($args[$name]) || $args[$name] === '') {
        bbws_fail("argument '$name' is required", 'BAD_INPUT');
    }
    return $args[$name];
}

function bbws_plugin_file(string $wanted): string
{
    foreach (array_keys(get_plugins()) as $file) {
        $slug = dirname($file) === '.' ? basename($file, '.php') : dirname($file);
        if ($file === $wanted || $slug === $wanted) {
            return $file;
        }
    }
    bbws_fail("no plugin $wanted in this site", 'PLUGIN_NOT_FOUND');
    return '';
}

function bbws_plugin(string $file): array
{
    $data = get_plugins()[$file];
    $slug = dirname($file) === '.' ? basename($file, '.php') : dirname($file);
    return ['plugin' => $file, 'slug' => $slug, 'name' => $data['Name'], 'version' => $data['Version'],
            'active' => is_plugin_active($file)];
}

function bbws_check($result): void
{
    if (is_wp_error($result)) {
        bbws_fail(wp_strip_all_tags($result->get_error_message()), strtoupper($result->get_error_code() ?: 'ERROR'));
    }
}

function bbws_health(): array
{
    global $wpdb;
    require_once ABSPATH . 'wp-admin/includes/class-wp-site-health.php';
    $health = WP_Site_Health::get_instance();
    $results = [];
    // Only the direct tests: the async ones call wordpress.org or loop back through the web server.
    foreach (WP_Site_Health::get_tests()['direct'] as $name => $test) {
        $result = null;
        if (is_string($test['test']) && method_exists($health, 'get_test_' . $test['test'])) {
            $result = $health->{'get_test_' . $test['test']}();
        } elseif (is_callable($test['test'])) {
            $result = call_user_func($test['test']);
        }
        if (is_array($result) && !empty($result['status'])) {
            $results[] = ['test' => $name, 'status' => $result['status'],
                          'label' => wp_strip_all_tags((string) $result['label'])];
        }
    }
    $counts = array_count_values(array_column($results, 'status'));
    return [
        'wordpress' => get_bloginfo('version'),
        'php' => PHP_VERSION,
        'database' => $wpdb->get_var('SELECT VERSION()'),
        'status' => isset($counts['critical']) ? 'critical' : (isset($counts['recommended']) ? 'recommended' : 'good'),
        'counts' => (object) $counts,
        'tests' => $results,
        'packages' => bbws_packages(),  // the drift check needs them: one run instead of three
    ];
}

/** Files below $root as [relative path => [size, md5 or null]], leaving out caches (they differ by nature). */
function bbws_files(string $root, bool $hash): array
{
    $files = [];
    if (!is_dir($root)) {
        return $files;
    }
    $skip = function ($current) use ($root) {
        if (!$current->isDir()) {
            return true;
        }
        $relative = substr($current->getPathname(), strlen($root) + 1);
        return $current->getFilename() !== 'cache' && !in_array($relative, ['upgrade', 'upgrade-temp-backup'], true);
    };
    $walk = new RecursiveIteratorIterator(new RecursiveCallbackFilterIterator(
        new RecursiveDirectoryIterator($root, FilesystemIterator::SKIP_DOTS), $skip));
    foreach ($walk as $file) {
        if ($file->isFile() && !$file->isLink()) {
            $relative = str_replace(DIRECTORY_SEPARATOR, '/', substr($file->getPathname(), strlen($root) + 1));
            $files[$relative] = [$file->getSize(), $hash ? md5_file($file->getPathname()) : null];
        }
    }
    ksort($files, SORT_STRING);
    return $files;
}

/** What the platform compares between two sites (promotion plans, drift): versions, theme, plugins, tables
 * with their row counts and checksums, the main options, uploads, and optionally every wp-content file's md5. */
function bbws_inventory(bool $with_files): array
{
    global $wpdb;
    $tables = [];
    $like = $wpdb->esc_like($wpdb->prefix) . '%';
    foreach ($wpdb->get_col($wpdb->prepare('SHOW TABLES LIKE %s', $like)) as $name) {
        $quoted = '`' . str_replace('`', '``', $name) . '`';
        $check = $wpdb->get_row("CHECKSUM TABLE $quoted", ARRAY_A);
        $tables[] = ['name' => $name, 'rows' => (int) $wpdb->get_var("SELECT COUNT(*) FROM $quoted"),
                     'checksum' => isset($check['Checksum']) ? (string) $check['Checksum'] : null];
    }
    $options = [];
    foreach (['blogname', 'blogdescription', 'siteurl', 'home', 'template', 'stylesheet'] as $name) {
        $options[$name] = get_option($name, null);
    }
    $uploads = bbws_files(wp_upload_dir(null, false)['basedir'], false);
    $theme = wp_get_theme();
    $answer = [
        'wordpress' => get_bloginfo('version'),
        'php' => PHP_VERSION,
        'database' => $wpdb->get_var('SELECT VERSION()'),
        'theme' => ['slug' => $theme->get_stylesheet(), 'version' => $theme->get('Version')],
        'plugins' => array_map('bbws_plugin', array_keys(get_plugins())),
        'tables' => $tables,
        'options' => $options,
        'uploads' => ['files' => count($uploads), 'bytes' => array_sum(array_column($uploads, 0))],
    ];
    if ($with_files) {
        $answer['files'] = (object) array_map(fn ($f) => $f[1], bbws_files(WP_CONTENT_DIR, true));
    }
    return $answer;
}

function bbws_themes(): array
{
    $active = get_stylesheet();
    $themes = [];
    foreach (wp_get_themes() as $stylesheet => $theme) {
        $themes[] = ['theme' => $stylesheet, 'name' => $theme->get('Name'), 'version' => $theme->get('Version'),
                     'active' => $stylesheet === $active,
                     'parent' => $theme->parent() ? $theme->get_template() : null];
    }
    return $themes;
}

function bbws_packages(): array
{
    return ['plugins' => array_map('bbws_plugin', array_keys(get_plugins())), 'themes' => bbws_themes()];
}

/** After a copy: application passwords and login sessions of the source must not open the copy. */
function bbws_rotate_credentials(): int
{
    $users = get_users(['fields' => 'ID']);
    foreach ($users as $id) {
        delete_user_meta((int) $id, '_application_passwords');
    }
    WP_Session_Tokens::destroy_all_for_all_users();
    return count($users);
}

function bbws_reset_admin(array $args): string
{
    $login = bbws_arg($args, 'user');
    $password = bbws_arg($args, 'password');
    $user = get_user_by('login', $login);
    if ($user) {
        wp_set_password($password, $user->ID);
        $user->set_role('administrator');
    } else {
        bbws_check(wp_insert_user(['user_login' => $login, 'user_pass' => $password, 'role' => 'administrator',
                                   'user_email' => bbws_arg($args, 'email')]));
    }
    return $login;
}

/** Where a menu item leads: the front page, a category's archive, or the URL given. */
function bbws_menu_url(array $item): string
{
    if (!empty($item['home'])) {
        return home_url('/');
    }
    if (isset($item['category'])) {
        $id = get_cat_ID((string) $item['category']);
        if (!$id) {
            bbws_fail('no category ' . $item['category'], 'NOT_FOUND');
        }
        return get_category_link($id);
    }
    return bbws_arg($item, 'url');
}

switch ((string) ($input['command'] ?? '')) {
    case 'plugins':
        bbws_answer(array_map('bbws_plugin', array_keys(get_plugins())));
    case 'activate-plugin':
        $file = bbws_plugin_file(bbws_arg($args, 'plugin'));
        bbws_check(activate_plugin($file, '', false, false));
        bbws_answer(bbws_plugin($file));
    case 'deactivate-plugin':
        $file = bbws_plugin_file(bbws_arg($args, 'plugin'));
        deactivate_plugins($file, false, false);
        bbws_answer(bbws_plugin($file));
    case 'themes':
        bbws_answer(bbws_themes());
    case 'packages':
        // Plugins and themes in one run (a health check's drift, a new site's declared baseline).
        bbws_answer(bbws_packages());
    case 'switch-theme':
        $theme = wp_get_theme(bbws_arg($args, 'theme'));
        if (!$theme->exists()) {
            bbws_fail('no theme ' . $args['theme'] . ' in this site', 'THEME_NOT_FOUND');
        }
        switch_theme($theme->get_stylesheet());
        bbws_answer(['theme' => get_stylesheet()]);
    case 'get-option':
        bbws_answer(['name' => $args['name'] ?? '', 'value' => get_option(bbws_arg($args, 'name'), null)]);
    case 'update-option':
        $name = bbws_arg($args, 'name');
        bbws_answer(['name' => $name, 'updated' => update_option($name, $args['value'] ?? null)]);
    case 'get-options':
        $names = is_array($args['names'] ?? null) ? array_map('strval', $args['names']) : [];
        $values = [];
        foreach ($names as $name) {
            $values[$name] = get_option($name, null);
        }
        bbws_answer(['options' => (object) $values]);
    case 'set-options':
        // Several options in one run (a plugin's configuration; null deletes one); the values read back answer.
        $options = is_array($args['options'] ?? null) ? $args['options'] : [];
        $values = [];
        foreach ($options as $name => $value) {
            if ($value === null) {
                delete_option((string) $name);
            } else {
                update_option((string) $name, $value);
            }
            $values[$name] = get_option((string) $name, null);
        }
        bbws_answer(['options' => (object) $values]);
    case 'inventory':
        bbws_answer(bbws_inventory(!empty($args['files'])));
    case 'health':
        bbws_answer(bbws_health());
    case 'create-app-password':
        $user = isset($args['user']) ? get_user_by('login', (string) $args['user']) : wp_get_current_user();
        if (!$user || !$user->exists()) {
            bbws_fail('no such user', 'USER_NOT_FOUND');
        }
        $made = WP_Application_Passwords::create_new_application_password($user->ID,
            ['name' => (string) ($args['name'] ?? 'bbws')]);
        bbws_check($made);
        bbws_answer(['user' => $user->user_login, 'password' => $made[0], 'uuid' => $made[1]['uuid']]);
    case 'posts-count':
        $counts = (array) wp_count_posts((string) ($args['type'] ?? 'post'));
        bbws_answer(['counts' => array_map('intval', $counts), 'publish' => (int) ($counts['publish'] ?? 0)]);
    case 'create-post':
        // Categories by name, made when missing (the built-in blog template files its posts under them).
        $categories = [];
        foreach (is_array($args['categories'] ?? null) ? $args['categories'] : [] as $name) {
            $term = term_exists((string) $name, 'category') ?: wp_insert_term((string) $name, 'category');
            bbws_check($term);
            $categories[] = (int) $term['term_id'];
        }
        $id = wp_insert_post(['post_title' => bbws_arg($args, 'title'), 'post_content' => (string) ($args['content'] ?? ''),
                              'post_status' => (string) ($args['status'] ?? 'publish'),
                              'post_type' => (string) ($args['type'] ?? 'post'), 'post_category' => $categories], true);
        bbws_check($id);
        bbws_answer(['id' => $id, 'link' => get_permalink($id), 'categories' => $categories]);
    case 'remove-sample-content':
        // What a fresh install puts in every site ("Hello world!", "Sample Page", the privacy policy draft):
        // a site made from a template shows the template's content only.
        $removed = [];
        foreach ([['hello-world', 'post'], ['sample-page', 'page']] as [$name, $type]) {
            $post = get_page_by_path($name, OBJECT, $type);
            if ($post) {
                wp_delete_post($post->ID, true);  // its comments go with it
                $removed[] = $name;
            }
        }
        $privacy = (int) get_option('wp_page_for_privacy_policy');
        if ($privacy && get_post_status($privacy) === 'draft') {
            wp_delete_post($privacy, true);
            update_option('wp_page_for_privacy_policy', 0);
            $removed[] = 'privacy-policy';
        }
        bbws_answer(['removed' => $removed]);
    case 'save-template':
        // A block template of the active theme kept in the site: it wins over the theme's file of that slug.
        if (!wp_is_block_theme()) {
            bbws_answer(['saved' => false, 'theme' => get_stylesheet()]);
        }
        // template parts name their theme, as WordPress adds to a theme's own files (without it they render empty)
        $content = preg_replace('/<!-- wp:template-part \{(?![^}]*"theme")/',
            '<!-- wp:template-part {"theme":' . wp_json_encode(get_stylesheet()) . ',', (string) ($args['content'] ?? ''));
        $id = wp_insert_post(['post_type' => 'wp_template', 'post_name' => bbws_arg($args, 'slug'),
                              'post_title' => (string) ($args['title'] ?? $args['slug']),
                              'post_content' => wp_slash($content),
                              'post_status' => 'publish'], true);
        bbws_check($id);
        bbws_check(wp_set_post_terms($id, [get_stylesheet()], 'wp_theme'));
        bbws_answer(['saved' => true, 'id' => $id, 'theme' => get_stylesheet()]);
    case 'set-menu':
        // The site's main menu: block themes show the newest Navigation in their header, classic themes the
        // menu in their primary location.
        $items = is_array($args['items'] ?? null) ? $args['items'] : [];
        $name = bbws_arg($args, 'name');
        if (wp_is_block_theme()) {
            $links = '';
            foreach ($items as $item) {
                $attrs = ['label' => (string) $item['title'], 'url' => bbws_menu_url($item), 'kind' => 'custom',
                          'isTopLevelLink' => true];
                // unescaped slashes: a copy of the site rewrites its URLs by plain search and replace
                $links .= '<!-- wp:navigation-link ' . wp_json_encode($attrs, JSON_UNESCAPED_SLASHES) . ' /-->';
            }
            $id = wp_insert_post(['post_type' => 'wp_navigation', 'post_title' => $name,
                                  'post_content' => wp_slash($links), 'post_status' => 'publish'], true);
            bbws_check($id);
            bbws_answer(['navigation' => $id, 'location' => null]);
        }
        $menu = wp_create_nav_menu($name);
        bbws_check($menu);
        foreach (array_values($items) as $position => $item) {
            bbws_check(wp_update_nav_menu_item($menu, 0, [
                'menu-item-title' => (string) $item['title'], 'menu-item-url' => bbws_menu_url($item),
                'menu-item-type' => 'custom', 'menu-item-status' => 'publish', 'menu-item-position' => $position + 1,
            ]));
        }
        $locations = array_keys(get_registered_nav_menus());
        $location = in_array('primary', $locations, true) ? 'primary' : ($locations[0] ?? null);
        if ($location !== null) {
            set_theme_mod('nav_menu_locations', [$location => $menu] + (array) get_theme_mod('nav_menu_locations', []));
        }
        bbws_answer(['menu' => $menu, 'location' => $location]);
    case 'rotate-credentials':
        bbws_answer(['users' => bbws_rotate_credentials()]);
    case 'reset-admin':
        bbws_answer(['user' => bbws_reset_admin($args)]);
    case 'finish-copy':
        // Everything a copied site needs in one run: the source's credentials stop working, the admin gets the
        // new password, the title (and tagline) are the copy's; the answer is its plugins and themes.
        if (!empty($args['pairs']) && is_array($args['pairs'])) {  // the copy's URLs (one PHP run, not two)
            require __DIR__ . '/replace.php';
            bbws_search_replace($args['pairs']);
            wp_cache_flush();  // options were read before the replacement
        }
        bbws_rotate_credentials();
        bbws_reset_admin($args);
        foreach (['title' => 'blogname', 'tagline' => 'blogdescription'] as $arg => $option) {
            if (isset($args[$arg]) && is_string($args[$arg]) && $args[$arg] !== '') {
                update_option($option, $args[$arg]);
            }
        }
        bbws_answer(bbws_packages());
    case 'upgrade-db':
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        wp_upgrade();
        bbws_answer(['dbVersion' => (int) get_option('db_version'), 'wordpress' => get_bloginfo('version')]);
    default:
        bbws_fail('unknown command ' . ($input['command'] ?? ''), 'UNKNOWN_COMMAND');
}
