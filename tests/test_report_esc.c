/* test_report_esc.c — escaping of token strings for the report's JS data, search keys, bucket
 * hash and the --neurons parser.
 *
 * Oracles: hand-written expected literals; a round trip (JSON-parse the literal, turn its
 * marked escapes back into bytes, compare with the input) over random byte strings; the
 * published FNV-1a test vectors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/json.h"
#include "report/report.h"
#include "report/report_run.h"

static char *display(const char *s, size_t n, size_t *len, int raw) {
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    if (raw)
        report_js_raw(f, s, n);
    else
        report_js_display(f, s, n);
    fclose(f);
    *len = sz;
    return buf;
}

/* Appends the UTF-8 of cp. */
static size_t put_utf8(unsigned char *o, unsigned cp) {
    if (cp < 0x80) return o[0] = (unsigned char)cp, 1;
    if (cp < 0x800) return o[0] = (unsigned char)(0xC0 | cp >> 6), o[1] = (unsigned char)(0x80 | (cp & 63)), 2;
    if (cp < 0x10000)
        return o[0] = (unsigned char)(0xE0 | cp >> 12), o[1] = (unsigned char)(0x80 | ((cp >> 6) & 63)),
               o[2] = (unsigned char)(0x80 | (cp & 63)), 3;
    return o[0] = (unsigned char)(0xF0 | cp >> 18), o[1] = (unsigned char)(0x80 | ((cp >> 12) & 63)),
           o[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)), o[3] = (unsigned char)(0x80 | (cp & 63)), 4;
}

/* Inverts the display form: JSON-parse the literal, then map marked escapes back to bytes.
 * Returns the byte length, or -1 when the literal or an escape is malformed. */
static long undisplay(const char *lit, size_t n, unsigned char *out) {
    n2g_err err = {0};
    json_doc *d = json_parse(lit, n, "literal", &err);
    if (!d) return -1;
    const json_value *v = json_root(d);
    long k = 0;
    const char *s = v->str, *end = v->str + v->n;
    while (s < end) {
        if (end - s >= 3 && !memcmp(s, "\xEE\x80\x80", 3)) { /* U+E000 ... U+E001 */
            const char *e = strstr(s + 3, "\xEE\x80\x81");
            if (!e) return json_free(d), -1;
            char esc[16] = {0};
            size_t el = (size_t)(e - (s + 3));
            if (el >= sizeof esc) return json_free(d), -1;
            memcpy(esc, s + 3, el);
            if (!strcmp(esc, "\\n")) out[k++] = '\n';
            else if (!strcmp(esc, "\\r")) out[k++] = '\r';
            else if (!strcmp(esc, "\\t")) out[k++] = '\t';
            else if (el == 4 && esc[0] == '\\' && esc[1] == 'x') out[k++] = (unsigned char)strtoul(esc + 2, NULL, 16);
            else if (el == 6 && esc[0] == '\\' && esc[1] == 'u') k += (long)put_utf8(out + k, (unsigned)strtoul(esc + 2, NULL, 16));
            else return json_free(d), -1;
            s = e + 3;
        } else {
            out[k++] = (unsigned char)*s++;
        }
    }
    json_free(d);
    return k;
}

static int script_safe(const char *lit, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)lit[i];
        if (c == '<' || c == '>' || c == '&' || c < 0x20 || c == 0x7F) return 0;
        if (i + 2 < n && c == 0xE2 && (unsigned char)lit[i + 1] == 0x80 &&
            ((unsigned char)lit[i + 2] == 0xA8 || (unsigned char)lit[i + 2] == 0xA9))
            return 0;
    }
    return json_utf8_valid(lit, n);
}

static void expect_display(const char *in, size_t n, const char *want) {
    size_t len;
    char *got = display(in, n, &len, 0);
    CHECK(len == strlen(want) && !memcmp(got, want, len), "display: got %s want %s", got, want);
    free(got);
}

int main(void) {
    /* hand-written expectations */
    expect_display("hello", 5, "\"hello\"");
    expect_display(" the", 4, "\" the\"");
    expect_display("</script>", 9, "\"\\u003c/script\\u003e\"");
    expect_display("&amp;\"'", 7, "\"\\u0026amp;\\\"'\"");
    expect_display("a\nb", 3, "\"a\\ue000\\\\n\\ue001b\"");
    expect_display("\x00", 1, "\"\\ue000\\\\x00\\ue001\"");
    expect_display("frag\xe2", 5, "\"frag\\ue000\\\\xe2\\ue001\"");
    expect_display("\xe2\x80\xa8", 3, "\"\\ue000\\\\u2028\\ue001\"");
    expect_display("\xe2\x80\xae", 3, "\"\\ue000\\\\u202e\\ue001\"");
    expect_display("\xee\x80\x80", 3, "\"\\ue000\\\\ue000\\ue001\"");
    expect_display("caf\xc3\xa9 \xf0\x9f\x90\xb3", 10, "\"caf\xc3\xa9 \xf0\x9f\x90\xb3\"");
    expect_display("\xc0\xaf", 2, "\"\\ue000\\\\xc0\\ue001\\ue000\\\\xaf\\ue001\""); /* overlong '/' */
    expect_display("\xed\xa0\x80", 3, "\"\\ue000\\\\xed\\ue001\\ue000\\\\xa0\\ue001\\ue000\\\\x80\\ue001\""); /* surrogate */
    {
        size_t len;
        char *got = display("a\xe2</b>\xe2\x80\xa9", 9, &len, 1);
        CHECK(!strcmp(got, "\"a\\ufffd\\u003c/b\\u003e\\u2029\""), "raw: %s", got);
        free(got);
    }

    /* round trip + script safety over random byte strings (biased towards nasty bytes) */
    static const unsigned char nasty[] = {'<', '>', '&', '"', '\'', '\\', '/', '\n', 0, 0x1b, 0x7f, 0x80, 0xbf, 0xc0,
                                          0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0xa9, 0xae, 0xee, 0xef, 0xbb, 0xf0, 0x9f, 0xff, ' '};
    srand(7);
    int bad_trip = 0, bad_safe = 0;
    for (int it = 0; it < 20000; it++) {
        unsigned char in[24], back[24 * 4 + 16];
        size_t n = (size_t)(rand() % 24);
        for (size_t i = 0; i < n; i++) in[i] = rand() % 2 ? nasty[rand() % sizeof nasty] : (unsigned char)(rand() % 256);
        size_t len;
        char *lit = display((const char *)in, n, &len, 0);
        if (!script_safe(lit, len)) bad_safe++;
        long k = undisplay(lit, len, back);
        if (k != (long)n || memcmp(back, in, n)) {
            if (!bad_trip) fprintf(stderr, "round trip failed for literal %s\n", lit);
            bad_trip++;
        }
        free(lit);
    }
    CHECK(bad_trip == 0, "%d display literals did not round-trip", bad_trip);
    CHECK(bad_safe == 0, "%d display literals were not script-safe", bad_safe);

    /* search keys: ASCII lowercase, ASCII whitespace trimmed unless nothing is left */
    char key[64];
    CHECK(report_search_key(" The", 4, key, sizeof key) == 3 && !strcmp(key, "the"), "key ' The' -> '%s'", key);
    CHECK(report_search_key("  WHALE \n", 9, key, sizeof key) == 5 && !strcmp(key, "whale"), "key -> '%s'", key);
    CHECK(report_search_key("\n\n", 2, key, sizeof key) == 2 && !strcmp(key, "\n\n"), "whitespace-only key kept");
    CHECK(report_search_key("\xc3\x89t\xc3\xa9", 5, key, sizeof key) == 5 && !memcmp(key, "\xc3\x89t\xc3\xa9", 5),
          "non-ASCII letters unchanged");

    /* FNV-1a 32-bit published test vectors */
    CHECK(report_fnv1a("", 0) == 0x811c9dc5u, "fnv1a('')");
    CHECK(report_fnv1a("a", 1) == 0xe40c292cu, "fnv1a('a')");
    CHECK(report_fnv1a("foobar", 6) == 0xbf9cf968u, "fnv1a('foobar') = %08x", report_fnv1a("foobar", 6));

    /* --neurons */
    int layers[2] = {3, 5};
    report_summary *v = NULL;
    n2g_err err = {0};
    int n = report_parse_neurons("5:7,3:1-3,3_2,5:*", layers, 2, 8, &v, &err);
    CHECK(n == 3 + 8, "neurons parsed: %d (%s)", n, err.msg);
    if (n == 11) {
        CHECK(v[0].layer == 3 && v[0].neuron == 1 && v[2].neuron == 3 && v[3].layer == 5 && v[3].neuron == 0,
              "run order, no duplicates");
    }
    free(v);
    struct {
        const char *s, *msg;
    } bad[] = {{"4:1", "layer 4 is not in this run"},
               {"3:8", "neuron 8 is out of range (d_mlp 8)"},
               {"3:x", "bad item '3:x'"},
               {"3:5-2", "bad item '3:5-2'"},
               {"3", "bad item '3'"},
               {"3:1,,", "bad item ''"},
               {"3:1;", "bad item '3:1;'"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n2g_err_clear(&err);
        v = NULL;
        int r = report_parse_neurons(bad[i].s, layers, 2, 8, &v, &err);
        CHECK(r == -1 && err.code == N2G_E_USAGE && strstr(err.msg, bad[i].msg), "'%s': %d '%s'", bad[i].s, r, err.msg);
        free(v);
    }
    return check_finish();
}
