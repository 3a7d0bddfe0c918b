/*
 * pgaadauth: a stand-in for Azure's `pgaadauth` security label provider, for tests only.
 *
 * Azure Database for PostgreSQL maps a LOGIN role to a Microsoft Entra principal with
 *     SECURITY LABEL FOR "pgaadauth" ON ROLE "<name>" IS 'aadauth,oid=<uuid>,type=<user|group|service>[,admin]'
 * Plain PostgreSQL has no such provider ("security label provider "pgaadauth" is not loaded"),
 * so the tests load this module (shared_preload_libraries) to store such labels for real in
 * pg_shseclabel. It authenticates nobody: it only registers the provider name and accepts
 * exactly the documented grammar, on roles only; anything else is an error that names what
 * was wrong. Removing a label (IS NULL) is always allowed.
 *
 * Grammar (the whole label, case-sensitive, no spaces):
 *     aadauth,oid=<uuid>,type=<user|group|service>[,admin]
 * where <uuid> is 8-4-4-4-12 hexadecimal digits (either case).
 */
#include "postgres.h"

#include "catalog/objectaddress.h"
#include "catalog/pg_authid.h"
#include "commands/seclabel.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

#define LABEL_HINT "Use 'aadauth,oid=<object id>,type=<user|group|service>[,admin]'."

static bool
is_uuid(const char *s, size_t len)
{
	/* 8-4-4-4-12 hex digits with hyphens */
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t		pos = 0;
	int			g;

	for (g = 0; g < 5; g++)
	{
		int			i;

		if (g > 0)
		{
			if (pos >= len || s[pos] != '-')
				return false;
			pos++;
		}
		for (i = 0; i < groups[g]; i++, pos++)
		{
			char		c;

			if (pos >= len)
				return false;
			c = s[pos];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
				return false;
		}
	}
	return pos == len;
}

static bool
has_prefix(const char **cursor, const char *prefix)
{
	size_t		n = strlen(prefix);

	if (strncmp(*cursor, prefix, n) != 0)
		return false;
	*cursor += n;
	return true;
}

/* NULL when the label is well formed, else what is wrong with it. */
static const char *
label_problem(const char *label)
{
	const char *cursor = label;
	const char *oid_end;
	const char *types[] = {"user", "group", "service"};
	int			i;
	bool		typed = false;

	if (!has_prefix(&cursor, "aadauth,"))
		return "it must start with \"aadauth,\"";
	if (!has_prefix(&cursor, "oid="))
		return "\"aadauth,\" must be followed by \"oid=<object id>\"";
	oid_end = strchr(cursor, ',');
	if (oid_end == NULL || !is_uuid(cursor, (size_t) (oid_end - cursor)))
		return "the oid must be a UUID (8-4-4-4-12 hexadecimal digits) followed by \",type=\"";
	cursor = oid_end + 1;
	if (!has_prefix(&cursor, "type="))
		return "the oid must be followed by \",type=<user|group|service>\"";
	for (i = 0; i < 3 && !typed; i++)
	{
		size_t		n = strlen(types[i]);

		if (strncmp(cursor, types[i], n) == 0 && (cursor[n] == '\0' || cursor[n] == ','))
		{
			cursor += n;
			typed = true;
		}
	}
	if (!typed)
		return "type must be one of user, group, service";
	if (*cursor == '\0' || strcmp(cursor, ",admin") == 0)
		return NULL;
	return "only \",admin\" may follow the type";
}

static void
pgaadauth_object_relabel(const ObjectAddress *object, const char *seclabel)
{
	const char *problem;

	if (object->classId != AuthIdRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pgaadauth labels can only be set on roles"),
				 errhint("Use SECURITY LABEL FOR pgaadauth ON ROLE ...")));
	if (seclabel == NULL)
		return;					/* removing a label is always allowed */
	problem = label_problem(seclabel);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid pgaadauth label \"%s\": %s", seclabel, problem),
				 errhint(LABEL_HINT)));
}

void
_PG_init(void)
{
	register_label_provider("pgaadauth", pgaadauth_object_relabel);
}
