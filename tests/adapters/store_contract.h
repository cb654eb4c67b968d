/* store_contract.h - checks every object-store backend must pass through
 * the port, shared by the tests of each backend (tests/ only). */
#ifndef RNR_TESTS_STORE_CONTRACT_H
#define RNR_TESTS_STORE_CONTRACT_H

#include "ports/store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The object under key holds text (NULL: there is none). */
static inline void sc_expect(rnr_store *s, const char *key, const char *scratch, const char *text)
{
    rnr_error err = {0};
    int rc = store_get_file(s, key, scratch, &err);
    if (!text) {
        assert_int_equal(rc, RNR_ERR_NOTFOUND);
        return;
    }
    if (rc != RNR_OK)
        fail_msg("get %s: %s", key, err.msg);
    char *got = tu_read_file(scratch, NULL);
    assert_non_null(got);
    assert_string_equal(got, text);
    free(got);
}

/* store_put_file_if under key (absent at the start) in directory dir:
 * create only where nothing is, replace only the version seen. */
static inline void sc_check_put_file_if(rnr_store *s, const char *key, const char *dir)
{
    char one[600], two[600], got[600];
    snprintf(one, sizeof one, "%s/sc-one.txt", dir);
    snprintf(two, sizeof two, "%s/sc-two.txt", dir);
    snprintf(got, sizeof got, "%s/sc-got.txt", dir);
    assert_int_equal(tu_write_file(one, "one"), 0);
    assert_int_equal(tu_write_file(two, "two"), 0);
    rnr_error err = {0};
    int done = -1;
    store_meta m1, m2;

    assert_int_equal(store_put_file_if(s, key, one, NULL, NULL, &done, &err), RNR_OK);
    assert_int_equal(done, 1); /* created */
    sc_expect(s, key, got, "one");
    assert_int_equal(store_put_file_if(s, key, two, NULL, NULL, &done, &err), RNR_OK);
    assert_int_equal(done, 0); /* something is there now */
    sc_expect(s, key, got, "one");

    assert_int_equal(store_head(s, key, &m1, &err), RNR_OK);
    assert_int_equal(store_put_file_if(s, key, two, NULL, "\"not-its-etag\"", &done, &err), RNR_OK);
    assert_int_equal(done, 0); /* another version than the one seen */
    sc_expect(s, key, got, "one");
    assert_int_equal(store_put_file_if(s, key, two, NULL, m1.etag, &done, &err), RNR_OK);
    assert_int_equal(done, 1); /* the version seen: replaced */
    sc_expect(s, key, got, "two");
    assert_int_equal(store_head(s, key, &m2, &err), RNR_OK);
    assert_string_not_equal(m1.etag, m2.etag);
    assert_int_equal(store_put_file_if(s, key, one, NULL, m1.etag, &done, &err), RNR_OK);
    assert_int_equal(done, 0); /* that version is gone */
    sc_expect(s, key, got, "two");

    assert_int_equal(store_delete(s, key, &err), RNR_OK);
    assert_int_equal(store_put_file_if(s, key, one, NULL, m2.etag, &done, &err), RNR_OK);
    assert_int_equal(done, 0); /* nothing to replace */
    sc_expect(s, key, got, NULL);
    remove(one);
    remove(two);
}

#endif
