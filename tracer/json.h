/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer for reports: objects, arrays,
 * strings escaped per RFC 8259, integers, booleans, null.  Commas and
 * indentation are handled here so callers only say what to write.
 */
#ifndef KT_JSON_H
#define KT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct kt_json {
	FILE *f;
	int depth;
	bool first[32]; /* no member written yet at this depth */
};

void kt_json_init(struct kt_json *j, FILE *f);
void kt_json_obj(struct kt_json *j, const char *key);   /* key NULL inside arrays */
void kt_json_arr(struct kt_json *j, const char *key);
void kt_json_end_obj(struct kt_json *j);
void kt_json_end_arr(struct kt_json *j);
void kt_json_str(struct kt_json *j, const char *key, const char *v); /* v NULL -> null */
void kt_json_int(struct kt_json *j, const char *key, long long v);
void kt_json_hex(struct kt_json *j, const char *key, uint64_t v);    /* "0x..." string */
void kt_json_bool(struct kt_json *j, const char *key, bool v);
void kt_json_null(struct kt_json *j, const char *key);

#endif
