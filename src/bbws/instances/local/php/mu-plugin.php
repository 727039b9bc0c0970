<?php
/*
 * Plugin Name: BBWS runtime
 * Description: Added by the BBWS local runtime: mail goes to a log file (there is no mail server), application
 * passwords work over plain http on loopback, and core files (hard links shared between sites) are never updated.
 */

add_filter('pre_wp_mail', function ($result, $atts) {
    if (!defined('BBWS_MAIL_LOG')) {
        return $result;
    }
    $line = json_encode([
        'time' => gmdate('c'),
        'to' => (array) $atts['to'],
        'subject' => $atts['subject'],
        'message' => $atts['message'],
        'headers' => $atts['headers'],
    ], JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR);
    return file_put_contents(BBWS_MAIL_LOG, $line . "\n", FILE_APPEND | LOCK_EX) !== false;
}, 10, 2);

add_filter('wp_is_application_passwords_available', '__return_true');

add_filter('map_meta_cap', function ($caps, $cap) {
    return $cap === 'update_core' ? ['do_not_allow'] : $caps;
}, 10, 2);
