/* test_nws_products.c - product list, queue message, product text (fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "nws/products.h"

#include <stdlib.h>
#include <string.h>

static const char list_json[] =
    "{\"@context\": {\"@version\": \"1.1\"}, \"@graph\": ["
    " {\"@id\": \"https://api.weather.gov/products/c\", \"id\": \"c\", \"wmoCollectiveId\": \"SRUS56\","
    "  \"issuingOffice\": \"KARX\", \"issuanceTime\": \"2024-08-21T00:41:00-00:00\","
    "  \"productCode\": \"HML\", \"productName\": \"AHPS XML\"},"
    " {\"@id\": \"https://api.weather.gov/products/b\", \"id\": \"b\","
    "  \"issuanceTime\": \"2024-08-20T23:26:00Z\", \"productCode\": \"HML\"},"
    " {\"id\": \"no-url\", \"issuanceTime\": \"2024-08-20T23:00:00Z\"},"
    " {\"@id\": \"https://api.weather.gov/products/x\", \"issuanceTime\": \"2024-08-20T23:00:00Z\"},"
    " 42,"
    " {\"@id\": \"https://api.weather.gov/products/a2\", \"id\": \"a2\","
    "  \"issuanceTime\": \"2024-08-20T19:04:00+00:00\", \"extra\": [1,2]},"
    " {\"@id\": \"https://api.weather.gov/products/a1\", \"id\": \"a1\","
    "  \"issuanceTime\": \"2024-08-20T19:04:00Z\"}"
    "]}";

static void test_list_sorted_and_skips(void **state)
{
    (void)state;
    nws_product_list *l = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_products_parse(list_json, strlen(list_json), &l, &err), RNR_OK);
    assert_int_equal(l->n, 4);
    assert_int_equal(l->skipped, 3);
    /* Oldest first; a2 and a1 tie and keep their list order. */
    assert_string_equal(l->items[0].id, "a2");
    assert_string_equal(l->items[1].id, "a1");
    assert_string_equal(l->items[2].id, "b");
    assert_string_equal(l->items[3].id, "c");
    assert_int_equal(l->items[0].issued, l->items[1].issued);
    assert_int_equal(l->items[3].issued, 1724200860);
    assert_string_equal(l->items[3].url, "https://api.weather.gov/products/c");
    assert_string_equal(l->items[3].wmo_collective_id, "SRUS56");
    assert_string_equal(l->items[3].issuing_office, "KARX");
    assert_string_equal(l->items[3].issuance_time, "2024-08-21T00:41:00-00:00");
    assert_string_equal(l->items[3].product_code, "HML");
    assert_string_equal(l->items[3].product_name, "AHPS XML");
    assert_string_equal(l->items[2].wmo_collective_id, "");
    nws_product_list_free(l);
}

static void test_list_bad(void **state)
{
    (void)state;
    nws_product_list *l = NULL;
    rnr_error err = {0};
    const char *bad = "{\"@graph\": [";
    assert_int_equal(nws_products_parse(bad, strlen(bad), &l, &err), RNR_ERR_PARSE);
    assert_null(l);
    assert_non_null(strstr(err.msg, "product list"));
    const char *nograph = "{\"@context\": {}}";
    assert_int_equal(nws_products_parse(nograph, strlen(nograph), &l, &err), RNR_ERR_PARSE);
    assert_non_null(strstr(err.msg, "@graph"));
    const char *empty = "{\"@graph\": []}";
    assert_int_equal(nws_products_parse(empty, strlen(empty), &l, &err), RNR_OK);
    assert_int_equal(l->n, 0);
    nws_product_list_free(l);
}

static void test_message_roundtrip(void **state)
{
    (void)state;
    nws_product_list *l = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_products_parse(list_json, strlen(list_json), &l, &err), RNR_OK);
    char *msg = NULL;
    assert_int_equal(nws_product_to_message(&l->items[3], &msg, &err), RNR_OK);
    assert_string_equal(msg,
                        "{\"rdf\":\"https://api.weather.gov/products/c\",\"id\":\"c\","
                        "\"wmo_collective_id\":\"SRUS56\",\"issuing_office\":\"KARX\","
                        "\"issuance_time\":\"2024-08-21T00:41:00-00:00\",\"product_code\":\"HML\","
                        "\"product_name\":\"AHPS XML\"}");
    nws_product p;
    assert_int_equal(nws_product_from_message(msg, strlen(msg), &p, &err), RNR_OK);
    assert_string_equal(p.url, l->items[3].url);
    assert_string_equal(p.id, "c");
    assert_string_equal(p.issuance_time, "2024-08-21T00:41:00-00:00");
    assert_int_equal(p.issued, 1724200860);
    assert_string_equal(p.product_name, "AHPS XML");
    nws_product_clear(&p);
    free(msg);
    nws_product_list_free(l);
}

static void expect_invalid(const char *msg, const char *needle)
{
    nws_product p;
    rnr_error err = {0};
    assert_int_equal(nws_product_from_message(msg, strlen(msg), &p, &err), RNR_ERR_INVALID);
    assert_non_null(strstr(err.msg, needle));
    assert_null(p.id);
}

static void test_message_malformed(void **state)
{
    (void)state;
    expect_invalid("not json", "malformed JSON");
    expect_invalid("[1,2]", "not a JSON object");
    expect_invalid("{\"id\": \"x\"}", "\"rdf\"");
    expect_invalid("{\"rdf\": \"u\", \"id\": \"\"}", "\"id\"");
    expect_invalid("{\"rdf\": \"u\", \"id\": 7}", "\"id\"");
    expect_invalid("{\"rdf\": \"u\", \"id\": \"x\", \"product_code\": 3}", "\"product_code\"");
    expect_invalid("{\"rdf\": \"u\", \"id\": \"x\", \"issuance_time\": \"yesterday\"}",
                   "issuance_time");
    /* Optional keys may be absent or null. */
    nws_product p;
    rnr_error err = {0};
    const char *ok = "{\"rdf\": \"u\", \"id\": \"x\", \"product_name\": null}";
    assert_int_equal(nws_product_from_message(ok, strlen(ok), &p, &err), RNR_OK);
    assert_string_equal(p.product_name, "");
    assert_true(p.issued == RNR_TIME_MISSING);
    nws_product_clear(&p);
}

static void test_product_text(void **state)
{
    (void)state;
    rnr_error err = {0};
    char *text = NULL;
    size_t n = 0;
    const char *doc =
        "{\"id\": \"p1\", \"productText\": \"\\n000\\nSRUS56 KARX 260754\\nHMLARX\\n\"}";
    assert_int_equal(nws_product_text_parse(doc, strlen(doc), &text, &n, &err), RNR_OK);
    assert_string_equal(text, "\n000\nSRUS56 KARX 260754\nHMLARX\n");
    assert_int_equal(n, 31);
    free(text);
    const char *none = "{\"id\": \"p2\", \"productCode\": \"HML\"}";
    assert_int_equal(nws_product_text_parse(none, strlen(none), &text, &n, &err), RNR_ERR_NOTFOUND);
    assert_string_equal(err.msg, "product p2 has no productText");
    assert_null(text);
    assert_int_equal(nws_product_text_parse("{", 1, &text, &n, &err), RNR_ERR_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_sorted_and_skips), cmocka_unit_test(test_list_bad),
        cmocka_unit_test(test_message_roundtrip),     cmocka_unit_test(test_message_malformed),
        cmocka_unit_test(test_product_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
