/* test_nws_hml.c - HML product text splitting and site parsing (fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "nws/hml.h"
#include "nwsref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NL "\r\r\n"
#define DECL "<?xml version=\"1.0\" standalone=\"yes\"?>" NL
#define SITE_OPEN(id, name)                                                                        \
    "<site xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"" NL                             \
    "      generationtime=\"2016-08-26T07:54:07+00:00\" timezone=\"CST6CDT\"" NL                   \
    "      originator=\"ARX\" name=\"" name "\" id=\"" id "\">" NL

#define DATUM(v, p, s)                                                                             \
    "    <datum><valid>" v "</valid><primary>" p "</primary><secondary>" s "</secondary></datum>" NL

static const char product[] = "\x01" NL "119 " NL "SRUS56 KARX 260754" NL "HMLARX" NL DECL SITE_OPEN(
    "AGRI4",
    "CEDAR RIVER  2 S") "  <disclaimers><AHPSXMLversion>2.0</AHPSXMLversion></disclaimers>" NL
                        "  <observed primaryUnits=\"ft\" pedts=\"HGIRG\" primaryName=\"Stage\" timezone=\"UTC\"" NL
                        "            secondaryUnits=\"kcfs\" secondaryName=\"Flow\">" NL DATUM(
                            "2016-08-26T07:00:00-00:00", "8.59", "-999")
                            DATUM("2016-08-26T07:15:00+00:00", "8.61", "7.25") DATUM(
                                "2016-08-26T07:30:00Z", "-9999",
                                "") "    <datum><valid>2016-08-26T07:45:00Z</valid><primary> 8.70 </primary></datum>" NL
                                    "  </observed>" NL "</site>    " NL
                                    "junk between documents" NL DECL SITE_OPEN(
                                        "BDY",
                                        "Three letter id") "  <forecast primaryUnits=\"ft\" pedts=\"HGIFE\" primaryName=\"Stage\" timezone=\"UTC\"" NL "            issued=\"2016-08-26T07:46:00-00:00\" secondaryUnits=\"cfs\" secondaryName=\"Flow\">" NL
                                        DATUM("2016-08-26T12:00:00-00:00", "24.3",
                                              "29800") DATUM("2016-08-26T18:00:00-00:00", "26.5",
                                                             "abc") "  </forecast>" NL "</site> " NL
                                            /* Malformed: unclosed element inside. */
                                            DECL SITE_OPEN(
                                                "BADX1",
                                                "broken") "  <observed><datum></observed>" NL "</site>" NL
                                                /* Same lid again with a forecast: merged into the first AGRI4. */
                                                DECL SITE_OPEN(
                                                    "AGRI4",
                                                    "duplicate") "  <forecast primaryUnits=\"ft\" pedts=\"HGIFE\" primaryName=\"Stage\""
                                                                 " secondaryUnits=\"kcfs\" secondaryName=\"Flow\">" NL DATUM(
                                                                     "2016-08-27T00:00:00-00:00",
                                                                     "9.1",
                                                                     "8.2") "  </forecast>" NL "</site>" NL
                                                                     /* A second observed series for AGRI4 is dropped (first one kept). */
                                                                     DECL SITE_OPEN(
                                                                         "AGRI4",
                                                                         "dup2") "  <observed pedts=\"HGIRP\"/>" NL
                                                                                 "</site>" NL
                                                                                     /* No </site> before the next declaration. */
                                                                                     DECL
                                                                                 "<site id=\"LOST1\">" NL
                                                                                     DECL
                                                                                 "<notasite id=\"ZZZ\"/>" NL
                                                                                 "</site>" NL DECL
                                                                                     SITE_OPEN(
                                                                                         "",
                                                                                         "no id") "</site>" NL
                                                                                                  "\x03";

static void test_split_and_sites(void **state)
{
    (void)state;
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_hml_parse(product, sizeof product - 1, NULL, &p, &err), RNR_OK);
    assert_string_equal(p->wmo_heading, "SRUS56 KARX 260754");
    assert_string_equal(p->awips_id, "HMLARX");
    assert_int_equal(p->n_documents, 8);
    assert_int_equal(p->n_sites, 2);
    assert_int_equal(p->n_duplicates, 2);
    /* broken XML, LOST1 (no </site>), <notasite>, empty id */
    assert_int_equal(p->n_failed, 4);
    assert_int_equal(p->n_oversize, 0);

    const nws_hml_site *a = &p->sites[0];
    assert_string_equal(a->lid, "AGRI4");
    assert_string_equal(a->name, "CEDAR RIVER  2 S");
    assert_string_equal(a->timezone, "CST6CDT");
    assert_string_equal(a->originator, "ARX");
    assert_string_equal(a->generationtime, "2016-08-26T07:54:07+00:00");
    assert_int_equal(a->generated, time_from_civil(2016, 8, 26, 7, 54, 7));
    assert_non_null(a->observed);
    assert_non_null(a->forecast); /* merged from the duplicate document */
    assert_string_equal(a->observed->pedts, "HGIRG");
    assert_string_equal(a->observed->primary_name, "Stage");
    assert_string_equal(a->observed->primary_units, "ft");
    assert_string_equal(a->observed->secondary_name, "Flow");
    assert_string_equal(a->observed->secondary_units, "kcfs");
    assert_true(a->observed->issued == RNR_TIME_MISSING);
    assert_int_equal(a->observed->n, 4);
    const nws_hml_row *r = a->observed->rows;
    assert_int_equal(r[0].valid, time_from_civil(2016, 8, 26, 7, 0, 0));
    assert_int_equal(r[1].valid, time_from_civil(2016, 8, 26, 7, 15, 0));
    assert_int_equal(r[2].valid, time_from_civil(2016, 8, 26, 7, 30, 0));
    assert_double_equal(r[0].primary, 8.59, 0);
    assert_true(isnan(r[0].secondary)); /* -999 */
    assert_double_equal(r[1].secondary, 7.25, 0);
    assert_true(isnan(r[2].primary));   /* -9999 */
    assert_true(isnan(r[2].secondary)); /* empty */
    assert_double_equal(r[3].primary, 8.70, 0);
    assert_true(isnan(r[3].secondary)); /* absent */
    assert_string_equal(a->forecast->pedts, "HGIFE");
    assert_int_equal(a->forecast->n, 1);
    assert_double_equal(a->forecast->rows[0].secondary, 8.2, 0);

    const nws_hml_site *b = nws_hml_find(p, "BDY");
    assert_ptr_equal(b, &p->sites[1]);
    assert_null(b->observed);
    assert_non_null(b->forecast);
    assert_int_equal(b->forecast->issued, time_from_civil(2016, 8, 26, 7, 46, 0));
    assert_string_equal(b->forecast->secondary_units, "cfs");
    assert_int_equal(b->forecast->n, 2);
    assert_double_equal(b->forecast->rows[0].secondary, 29800, 0);
    assert_true(isnan(b->forecast->rows[1].secondary)); /* "abc" */
    assert_null(nws_hml_find(p, "BADX1"));
    assert_null(nws_hml_find(p, "LOST1"));
    nws_hml_product_free(p);
}

static void test_no_documents(void **state)
{
    (void)state;
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    const char *afd = "\n000\nFXUS62 KTAE 210041\nAFDTAE\n\nArea Forecast Discussion\n"
                      "<site id=\"NOPE1\"></site> without a declaration\n";
    assert_int_equal(nws_hml_parse(afd, strlen(afd), NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_sites, 0);
    assert_int_equal(p->n_documents, 0);
    assert_string_equal(p->wmo_heading, "FXUS62 KTAE 210041");
    assert_string_equal(p->awips_id, "AFDTAE");
    nws_hml_product_free(p);
    assert_int_equal(nws_hml_parse("", 0, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_sites, 0);
    nws_hml_product_free(p);
    /* A truncated declaration at the very end. */
    assert_int_equal(nws_hml_parse("x<?xml", 6, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_failed, 1);
    nws_hml_product_free(p);
}

/* An external entity must never be loaded: the file holds a number that
 * would otherwise show up as the primary value. */
static void test_xxe_not_loaded(void **state)
{
    (void)state;
    char path[] = "/tmp/rnr-xxe-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "4242", 4), 4);
    close(fd);
    char doc[1024];
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?>\n<!DOCTYPE site [<!ENTITY xxe SYSTEM \"file://%s\">]>\n"
             "<site id=\"XXE1\" name=\"n\"><observed secondaryUnits=\"kcfs\"><datum>"
             "<valid>2020-01-01T00:00:00Z</valid><primary>&xxe;</primary><secondary>1</secondary>"
             "</datum></observed></site>",
             path);
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_hml_parse(doc, strlen(doc), NULL, &p, &err), RNR_OK);
    unlink(path);
    /* The document parses; the reference stays unexpanded (no file read). */
    assert_int_equal(p->n_sites, 1);
    assert_string_equal(p->sites[0].lid, "XXE1");
    assert_int_equal(p->sites[0].observed->n, 1);
    assert_true(isnan(p->sites[0].observed->rows[0].primary));
    assert_double_equal(p->sites[0].observed->rows[0].secondary, 1, 0);
    nws_hml_product_free(p);
    /* In an attribute, an external entity is not even well-formed. */
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?><!DOCTYPE site [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
             "<site id=\"&xxe;\"></site>");
    assert_int_equal(nws_hml_parse(doc, strlen(doc), NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_sites, 0);
    assert_int_equal(p->n_failed, 1);
    nws_hml_product_free(p);
}

/* Exponential entity expansion ("billion laughs") must not blow up. */
static void test_entity_expansion(void **state)
{
    (void)state;
    char ents[2048] = "<!ENTITY a0 \"xxxxxxxxxx\">";
    for (int i = 1; i < 10; i++) {
        char e[160];
        snprintf(e, sizeof e, "<!ENTITY a%d \"", i);
        for (int k = 0; k < 10; k++)
            snprintf(e + strlen(e), sizeof e - strlen(e), "&a%d;", i - 1);
        strcat(e, "\">");
        strcat(ents, e);
    }
    char doc[8192];
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?><!DOCTYPE site [%s]><site id=\"LOL1\" name=\"&a9;\"></site>"
             "<?xml version=\"1.0\"?><!DOCTYPE site [%s]><site id=\"LOL2\"><observed><datum>"
             "<primary>&a9;</primary><secondary>2</secondary></datum></observed></site>",
             ents, ents);
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_hml_parse(doc, strlen(doc), NULL, &p, &err), RNR_OK);
    /* libxml2 detects the amplification and refuses both documents. */
    assert_int_equal(p->n_documents, 2);
    assert_int_equal(p->n_sites, 0);
    assert_int_equal(p->n_failed, 2);
    nws_hml_product_free(p);
}

static char *big_product(size_t filler, size_t *len)
{
    const char *head = "<?xml version=\"1.0\"?><site id=\"BIG1\"><!--";
    const char *tail = "--></site><?xml version=\"1.0\"?><site id=\"SMALL\"></site>";
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + filler + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    memset(s + hl, 'x', filler);
    memcpy(s + hl + filler, tail, tl + 1);
    *len = hl + filler + tl;
    return s;
}

static void test_caps(void **state)
{
    (void)state;
    size_t len;
    char *s = big_product(5u * 1024 * 1024, &len);
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    /* Default per-document cap (4 MiB): the big one is skipped. */
    assert_int_equal(nws_hml_parse(s, len, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_documents, 2);
    assert_int_equal(p->n_oversize, 1);
    assert_int_equal(p->n_failed, 1);
    assert_int_equal(p->n_sites, 1);
    assert_string_equal(p->sites[0].lid, "SMALL");
    nws_hml_product_free(p);
    /* Total cap. */
    nws_hml_limits lim = {.max_document = 1024, .max_product = 1024 * 1024, .max_documents = 10};
    assert_int_equal(nws_hml_parse(s, len, &lim, &p, &err), RNR_ERR_LIMIT);
    assert_null(p);
    assert_non_null(strstr(err.msg, "cap"));
    free(s);
    /* Document count cap. */
    char many[2048] = "";
    for (int i = 0; i < 12; i++)
        strcat(many, "<?xml version=\"1.0\"?><site id=\"A\"/>");
    assert_int_equal(nws_hml_parse(many, strlen(many), &lim, &p, &err), RNR_ERR_LIMIT);
    assert_null(p);
}

/* "<site id=ID a0="1" a1="1" ...>" with n attributes in all, then </site>. */
static void append_site(char **buf, size_t *len, const char *id, int nattr)
{
    size_t cap = *len + 64 + (size_t)nattr * 16;
    char *b = realloc(*buf, cap);
    assert_non_null(b);
    size_t o = *len;
    o += (size_t)sprintf(b + o, "<?xml version=\"1.0\"?><site id=\"%s\"", id);
    for (int i = 1; i < nattr; i++)
        o += (size_t)sprintf(b + o, " a%d=\"1\"", i);
    o += (size_t)sprintf(b + o, "></site>\n");
    *buf = b;
    *len = o;
}

/* Documents whose shape would make libxml2 work hard are refused by the
 * pre-scan and counted, never parsed; HML-shaped ones around them, and
 * one exactly at the attribute bound, still parse. */
static void test_overcomplex(void **state)
{
    (void)state;
    char *s = NULL;
    size_t len = 0;
    append_site(&s, &len, "WIDE1", 100000); /* 1.1 MB, under the 4 MiB cap */
    assert_true(len > 1000000 && len < NWS_HML_MAX_DOCUMENT);
    append_site(&s, &len, "EDGE1", NWS_HML_MAX_ATTRIBUTES);
    append_site(&s, &len, "OVER1", NWS_HML_MAX_ATTRIBUTES + 1);
    char deep[1024] = "<?xml version=\"1.0\"?><site id=\"DEEP1\">";
    for (int i = 0; i < NWS_HML_MAX_DEPTH; i++)
        strcat(deep, "<x>");
    strcat(deep, "</site>\n<?xml version=\"1.0\"?><site id=\"OK1\"><a><b/><c q='>='/></a></site>");
    char *b = realloc(s, len + strlen(deep) + 1);
    assert_non_null(b);
    s = b;
    memcpy(s + len, deep, strlen(deep) + 1);
    len += strlen(deep);
    nws_hml_product *p = NULL;
    rnr_error err = {0};
    assert_int_equal(nws_hml_parse(s, len, NULL, &p, &err), RNR_OK);
    assert_int_equal(p->n_documents, 5);
    assert_int_equal(p->n_overcomplex, 3); /* WIDE1, OVER1, DEEP1 */
    assert_int_equal(p->n_failed, 3);
    assert_int_equal(p->n_sites, 2);
    assert_string_equal(p->sites[0].lid, "EDGE1");
    assert_string_equal(p->sites[1].lid, "OK1");
    nws_hml_product_free(p);
    free(s);
}

int main(void)
{
    nws_hml_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_and_sites),
        cmocka_unit_test(test_no_documents),
        cmocka_unit_test(test_xxe_not_loaded),
        cmocka_unit_test(test_entity_expansion),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_overcomplex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
