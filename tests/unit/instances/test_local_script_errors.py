"""How the local runtime words a PHP script that gave no answer: a database it could not reach is
RUNTIME_DB_UNAVAILABLE (retried), and an HTML page is reduced to the words a visitor would read."""

from __future__ import annotations

import pytest

from bbws.instances.local.wordpress import readable, reported_failure, script_failure

WP_DIE_PAGE = (
    "<!DOCTYPE html><html><head><title>Database Error</title><style type=\"text/css\">html{background:#f1f1f1}"
    "body{color:#444;font-family:-apple-system}</style></head><body id=\"error-page\">"
    "<div class=\"wp-die-message\"><h1>Error establishing a database connection</h1></div></body></html>"
)


@pytest.mark.parametrize(
    "printed",
    [
        WP_DIE_PAGE,
        "PHP Warning:  mysqli_real_connect(): (HY000/2002): Connection refused in wp-includes/class-wpdb.php",
        "WordPress database error MySQL server has gone away for query SELECT option_value",
    ],
)
def test_a_script_that_could_not_reach_the_database_is_retryable_and_said_in_words(printed: str) -> None:
    error = script_failure("install.php", 0, printed)
    assert error.code == "RUNTIME_DB_UNAVAILABLE" and error.retryable
    assert "<" not in error.reason and "{" not in error.reason


def test_a_database_that_went_away_while_the_script_ran_is_retryable_whatever_it_printed() -> None:
    error = script_failure("admin.php", 255, "PHP Fatal error: something else", db_gone=True)
    assert error.code == "RUNTIME_DB_UNAVAILABLE" and error.retryable


def test_other_failures_keep_their_words_and_are_not_retried() -> None:
    error = script_failure("admin.php", 255, "<p>PHP Fatal error: Uncaught Error: Call to undefined function</p>")
    assert error.code == "RUNTIME_ERROR" and not error.retryable
    assert error.reason == "admin.php failed (exit 255): PHP Fatal error: Uncaught Error: Call to undefined function"


def test_html_is_reduced_to_its_visible_text() -> None:
    assert readable(WP_DIE_PAGE) == "Error establishing a database connection"
    assert readable("plain  text\n on lines") == "plain text on lines"


def test_an_error_a_script_reported_while_its_database_went_away_is_retryable() -> None:
    answer = {"error": "Table 'wp_options' doesn't exist", "code": "PHP_ERROR"}
    lost = reported_failure("admin.php", answer, db_gone=True)
    assert lost.code == "RUNTIME_DB_UNAVAILABLE" and lost.retryable and "wp_options" in lost.reason
    kept = reported_failure("admin.php", answer)
    assert kept.code == "PHP_ERROR" and not kept.retryable and kept.reason == answer["error"]

