/* sqlite3_db_config is variadic, which Swift cannot call; these wrappers harden connections that read
   files from elsewhere. Declared here rather than through <sqlite3.h> so the module does not clash
   with GRDB's own SQLite module. */
struct sqlite3;
int sqlite3_db_config(struct sqlite3 *, int op, ...);
int sqlite3_limit(struct sqlite3 *, int id, int newVal);

/* Every connection to a Polylens file (PolylensFile, SQLConsole) goes through this. Returns 0 (SQLITE_OK) on
   success. SQLITE_DBCONFIG_DEFENSIVE = 1010 (no writable_schema, no shadow-table writes),
   SQLITE_DBCONFIG_TRUSTED_SCHEMA = 1017 off (views and triggers may not call side-effecting functions or
   virtual tables), SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION = 1005 off (C API and load_extension()),
   SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER = 1004 off, SQLITE_DBCONFIG_ENABLE_TRIGGER = 1003 stays on for the
   writer (the schema check refuses files that bring triggers). */
static inline int polylens_sqlite_harden(void *db) {
    struct sqlite3 *c = (struct sqlite3 *)db;
    int rc = sqlite3_db_config(c, 1010, 1, (int *)0);
    if (rc == 0) rc = sqlite3_db_config(c, 1017, 0, (int *)0);
    if (rc == 0) rc = sqlite3_db_config(c, 1005, 0, (int *)0);
    if (rc == 0) rc = sqlite3_db_config(c, 1004, 0, (int *)0);
    return rc;
}

/* Limits on what one statement may do (sqlite3_limit ids): no ATTACH at all (7 = SQLITE_LIMIT_ATTACHED),
   10 MB of SQL text (1, schema statements included), LIKE patterns of 10 KB (8), triggers 1 deep (10).
   Strings and blobs keep SQLite's 1e9-byte maximum (0): an unembedding matrix is legitimately hundreds of MB. */
static inline void polylens_sqlite_limit(void *db) {
    struct sqlite3 *c = (struct sqlite3 *)db;
    sqlite3_limit(c, 7, 0);
    sqlite3_limit(c, 1, 10000000);
    sqlite3_limit(c, 8, 10000);
    sqlite3_limit(c, 10, 1);
}
