/* SPDX-License-Identifier: MIT */
/*
 * status.c - messages and names for kt_status, generated from the one list
 * in status.h, and the errno mapping.
 */
#include "status.h"

#include <stddef.h>

static const char *const messages[] = {
#define KT_STATUS_MSG(code, msg) [code] = msg,
	KT_STATUS_LIST(KT_STATUS_MSG)
#undef KT_STATUS_MSG
};

static const char *const names[] = {
#define KT_STATUS_NAME(code, msg) [code] = #code,
	KT_STATUS_LIST(KT_STATUS_NAME)
#undef KT_STATUS_NAME
};

const char *
kt_strerror(kt_status status)
{
	if ((unsigned)status >= KT_STATUS_COUNT)
		return "unknown status";
	return messages[status];
}

const char *
kt_status_name(kt_status status)
{
	if ((unsigned)status >= KT_STATUS_COUNT)
		return "KT_STATUS_UNKNOWN";
	return names[status];
}

kt_status
kt_status_from_errno(int err)
{
	switch (err) {
	case 0:
		return KT_OK;
	case ESRCH:
		return KT_ERR_GONE;
	case EPERM:
	case EACCES:
		return KT_ERR_PERM;
	case ENOMEM:
		return KT_ERR_NOMEM;
	case EFAULT:
	case EIO:
		return KT_ERR_MEM;
	case ENOENT:
		return KT_ERR_NOTFOUND;
	case EINVAL:
		return KT_ERR_INVAL;
	case EBUSY:
		return KT_ERR_BUSY;
	case ETIMEDOUT:
		return KT_ERR_TIMEOUT;
	default:
		return KT_ERR_SYS;
	}
}
