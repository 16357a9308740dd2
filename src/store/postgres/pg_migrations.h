#pragma once
// The PostgreSQL schema as numbered migrations, with the same tables and
// columns as the SQLite schema (store/sqlite/migrations.cc). Migration N
// (1-based) is Migrations()[N - 1]; applied versions are recorded in
// `schema_migrations`. Released migrations never change: a schema change is a
// new entry.

#include <span>

#include "core/status.h"
#include "store/postgres/pg_conn.h"

namespace plumb::store::postgres {

std::span<const char* const> Migrations();

// Applies the migrations the database lacks, all in one transaction, so a
// failure leaves the schema as it was. Servers starting at once take turns
// (a transaction-scoped advisory lock): the first applies, the others find
// the work done. kInternal when the database is newer than this build.
Status ApplyMigrations(PgConnection& conn);

}  // namespace plumb::store::postgres
