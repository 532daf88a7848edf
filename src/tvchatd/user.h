/*
 * A presence slot as JSON: the user object clients see in rosters and
 * join notices, and the record cluster nodes share through Redis (the
 * same object plus where the user lives on its node).
 */
#ifndef TVCHAT_USER_H
#define TVCHAT_USER_H

#include <stddef.h>

#include <json-c/json.h>

#include "presence.h"

#define USER_JSON_MAX	(64u * 1024 * 1024)

json_object	*user_json(const struct presence_slot *);
char		*user_record(const struct presence_slot *, int32_t, uint32_t);
int		 user_record_parse(json_object *, const char *,
		    struct presence_slot *);
json_object	*user_parse_json(const void *, size_t);
const char	*user_json_string(json_object *, size_t);

#endif
