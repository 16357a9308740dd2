#pragma once
// The SQLite schema as numbered migrations. Migration N (1-based) is
// kMigrations[N - 1]; applied versions are recorded in `schema_migrations`.
// Released migrations never change: a schema change is a new entry.

#include <span>

#include "core/status.h"
#include "store/sqlite/sqlite_db.h"

namespace plumb::store::sqlite {

std::span<const char* const> Migrations();

// Applies the migrations the database lacks, all in one IMMEDIATE
// transaction, so a failure leaves the schema as it was. kInternal when the
// database is newer than this build (it knows more migrations than we do).
Status ApplyMigrations(Connection& conn);

}  // namespace plumb::store::sqlite
