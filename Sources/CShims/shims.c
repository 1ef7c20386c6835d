#include "CShims.h"
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

CURLcode mm_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
CURLcode mm_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
CURLcode mm_curl_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
CURLcode mm_curl_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
CURLcode mm_curl_setopt_write_function(CURL *h, mm_curl_data_cb cb) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
CURLcode mm_curl_setopt_read_function(CURL *h, mm_curl_data_cb cb) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb); }
CURLcode mm_curl_setopt_header_function(CURL *h, mm_curl_data_cb cb) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
CURLcode mm_curl_setopt_xferinfo_function(CURL *h, mm_curl_xferinfo_cb cb) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
CURLcode mm_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
CURLcode mm_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

int mm_deflate_init2(z_streamp s, int level, int window_bits, int mem_level, int strategy) {
    return deflateInit2(s, level, Z_DEFLATED, window_bits, mem_level, strategy);
}
int mm_inflate_init2(z_streamp s, int window_bits) { return inflateInit2(s, window_bits); }

static char *mm_prompt(EditLine *el) {
    char *text = NULL;
    el_get(el, EL_CLIENTDATA, &text);
    return text ? text : "";
}

EditLine *mm_el_init(const char *program, FILE *in, FILE *out, FILE *err) {
    EditLine *el = el_init(program, in, out, err);
    if (el) el_set(el, EL_CLIENTDATA, NULL);
    return el;
}

int mm_el_set_prompt_text(EditLine *el, const char *text) {
    char *old = NULL;
    el_get(el, EL_CLIENTDATA, &old);
    free(old);
    el_set(el, EL_CLIENTDATA, text ? strdup(text) : NULL);
    return el_set(el, EL_PROMPT, mm_prompt);
}

int mm_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }

const char *mm_el_gets(EditLine *el, int *count) { return el_gets(el, count); }

void mm_el_end(EditLine *el) {
    char *text = NULL;
    el_get(el, EL_CLIENTDATA, &text);
    free(text);
    el_end(el);
}

int mm_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
