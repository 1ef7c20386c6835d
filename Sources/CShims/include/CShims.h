// Typed wrappers for the variadic or macro C APIs that Swift cannot call directly.
#ifndef MM_CSHIMS_H
#define MM_CSHIMS_H

#include <stdio.h>
#include <curl/curl.h>
#include <zlib.h>
#include <histedit.h>

// libcurl: curl_easy_setopt / curl_easy_getinfo are variadic.
CURLcode mm_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mm_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode mm_curl_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode mm_curl_setopt_str(CURL *handle, CURLoption option, const char *value);
typedef size_t (*mm_curl_data_cb)(char *buffer, size_t size, size_t count, void *userdata);
CURLcode mm_curl_setopt_write_function(CURL *handle, mm_curl_data_cb callback);
CURLcode mm_curl_setopt_read_function(CURL *handle, mm_curl_data_cb callback);
CURLcode mm_curl_setopt_header_function(CURL *handle, mm_curl_data_cb callback);
typedef int (*mm_curl_xferinfo_cb)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
CURLcode mm_curl_setopt_xferinfo_function(CURL *handle, mm_curl_xferinfo_cb callback);
CURLcode mm_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode mm_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);

// zlib: deflateInit2 / inflateInit2 are macros.
int mm_deflate_init2(z_streamp stream, int level, int window_bits, int mem_level, int strategy);
int mm_inflate_init2(z_streamp stream, int window_bits);

// libedit: el_set is variadic; the prompt callback reads its text from the client data.
EditLine *mm_el_init(const char *program, FILE *in, FILE *out, FILE *err);
int mm_el_set_prompt_text(EditLine *el, const char *text);
int mm_el_set_editor(EditLine *el, const char *mode);
const char *mm_el_gets(EditLine *el, int *count);
void mm_el_end(EditLine *el);

// glibc: keep large buffers in their own mappings (mallopt is not in Swift's Glibc module).
int mm_set_mmap_threshold(int bytes);

#endif
