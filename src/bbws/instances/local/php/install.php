<?php
// Installs WordPress in one site folder (wp_install, pretty permalinks); on a site that is already installed it
// only sets the administrator's password, so a retried install ends with working credentials.
require __DIR__ . '/lib.php';
$input = bbws_prepare();
define('WP_INSTALLING', true);
require $input['dir'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$user = (string) $input['admin_user'];
$password = (string) $input['admin_password'];
if (!is_blog_installed()) {
    wp_install((string) $input['title'], $user, (string) $input['admin_email'], true, '', wp_slash($password));
    if (!is_blog_installed()) {
        bbws_fail('wp_install did not finish', 'INSTALL_FAILED');
    }
} else {
    $account = get_user_by('login', $user);
    if (!$account) {
        bbws_fail("the site is installed but has no user $user", 'INSTALL_FAILED');
    }
    wp_set_password($password, $account->ID);
}
update_option('blogdescription', (string) ($input['tagline'] ?? ''));
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/'); // updates the option and the live rewrite object
flush_rewrite_rules(false);
bbws_answer(['installed' => true, 'version' => get_bloginfo('version'), 'dbVersion' => (int) get_option('db_version')]);
