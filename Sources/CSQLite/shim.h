/* sqlite3_db_config is variadic, which Swift cannot call; these wrappers harden connections that read
   files from elsewhere. Declared here rather than through <sqlite3.h> so the module does not clash
   with GRDB's own SQLite module. */
struct sqlite3;
int sqlite3_db_config(struct sqlite3 *, int op, ...);

/* SQLITE_DBCONFIG_DEFENSIVE = 1010, SQLITE_DBCONFIG_TRUSTED_SCHEMA = 1017. Returns 0 (SQLITE_OK) on success. */
static inline int polylens_sqlite_harden(void *db) {
    int rc = sqlite3_db_config((struct sqlite3 *)db, 1010, 1, (int *)0);
    if (rc != 0) return rc;
    return sqlite3_db_config((struct sqlite3 *)db, 1017, 0, (int *)0);
}
