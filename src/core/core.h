#pragma once
// core: Plumb's domain types and pure logic — Status/Result, the injected
// Clock, users/projects/tasks/revisions, and label-schema validation. No I/O,
// no SQL, no HTTP; every other module builds on it.

#include "core/clock.h"
#include "core/schema.h"
#include "core/status.h"
#include "core/types.h"
#include "core/utf8.h"
