//! Moving from one machine to many: the whole of a SQLite database copied into an empty
//! PostgreSQL database, row for row, so that several servers can then share it.
//!
//! Everything that outlives a restart moves: submissions (still sealed), notes,
//! tombstones and forwards, the audit log with its head (the hash chain verifies on the
//! other side as it did here), caseworkers and their queues, the guard's counts, and
//! newsletter subscriptions and newsletters (still vault ciphertexts, so the vault key
//! file must go with them). Login sessions and the hourly counts of network addresses
//! do not: citizens log in again, and the counts end within the hour anyway.
//!
//! The copy reads what it moves and writes it in one PostgreSQL transaction, outside the
//! writer task: it is meant for a database no server uses yet, and refuses one that
//! holds anything. The columns are those the target's own migrations made, read from
//! its catalog, so that each value is bound with the target's type.

use super::{Pool, Store, StoreError, insert_sql};

/// What moves, in an order that keeps every reference to a row behind the row.
const TABLES: [&str; 11] = [
    "caseworkers",
    "caseworker_queues",
    "submissions",
    "notes",
    "deleted_submissions",
    "moved_submissions",
    "audit_log",
    "audit_head",
    "guard_refusals",
    "subscriptions",
    "newsletters",
];

/// What stays behind: sessions and hourly counts, which end soon on their own, and the
/// migrations' own bookkeeping.
const LEFT: [&str; 3] = ["sessions", "submission_counts", "_sqlx_migrations"];

/// Rows read from SQLite and inserted into PostgreSQL at a time; fewer for a table with
/// ciphertexts, whose rows may carry attachments of megabytes each.
const PAGE: i64 = 256;
const PAGE_OF_BYTES: i64 = 16;

/// A PostgreSQL column type, as far as these tables use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int4,
    Int8,
    Text,
    Bytes,
}

/// One value on its way.
enum Cell {
    Int4(Option<i32>),
    Int8(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Store {
    /// Copies this SQLite database into `target`, an empty PostgreSQL database (its
    /// migrations run when it was opened). Returns the rows moved, table by table.
    pub async fn copy_to_postgres(
        &self,
        target: &Store,
    ) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let (Pool::Sqlite(source), Pool::Postgres(pg)) = (&self.pool, &target.pool) else {
            return Err(StoreError::Database(
                "the copy goes from a SQLite database to a PostgreSQL one".into(),
            ));
        };
        // A table a later migration adds must be named here, moved or left, before the
        // copy runs again: nothing is left behind unnoticed.
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(pg)
        .await?;
        if let Some((unknown,)) = tables
            .iter()
            .find(|(t,)| !TABLES.contains(&t.as_str()) && !LEFT.contains(&t.as_str()))
        {
            return Err(StoreError::Corrupt(format!(
                "the table {unknown} is neither moved nor left by this version"
            )));
        }
        for table in TABLES.iter().filter(|t| **t != "audit_head") {
            let (rows,): (i64,) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(pg)
                    .await?;
            if rows > 0 {
                return Err(StoreError::Database(format!(
                    "the PostgreSQL database is not empty: {table} has {rows} row(s); \
                     the copy goes only into a new database"
                )));
            }
        }
        let mut tx = pg.begin().await?;
        // The head the migrations made gives way to the one that is moved.
        sqlx::query("DELETE FROM audit_head")
            .execute(&mut *tx)
            .await?;
        let mut moved = Vec::new();
        for table in TABLES {
            let columns: Vec<(String, Kind)> = columns_of(pg, table).await?;
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            let list = names.join(", ");
            let page = if columns.iter().any(|(_, kind)| *kind == Kind::Bytes) {
                PAGE_OF_BYTES
            } else {
                PAGE
            };
            let select = format!(
                "SELECT rowid, {list} FROM {table} WHERE rowid > $1 ORDER BY rowid LIMIT {page}"
            );
            let mut after = 0i64;
            let mut count = 0u64;
            loop {
                let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
                    .bind(after)
                    .fetch_all(source)
                    .await?;
                let Some(last) = rows.last() else {
                    break;
                };
                after = sqlx::Row::try_get(last, 0)?;
                let mut cells = Vec::with_capacity(rows.len() * columns.len());
                for row in &rows {
                    for (i, (_, kind)) in columns.iter().enumerate() {
                        cells.push(read(row, i + 1, *kind)?);
                    }
                }
                let sql = insert_sql(&format!("{table} ({list})"), columns.len(), rows.len());
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
                for cell in cells {
                    insert = match cell {
                        Cell::Int4(v) => insert.bind(v),
                        Cell::Int8(v) => insert.bind(v),
                        Cell::Text(v) => insert.bind(v),
                        Cell::Bytes(v) => insert.bind(v),
                    };
                }
                insert.execute(&mut *tx).await?;
                count += rows.len() as u64;
            }
            moved.push((table, count));
        }
        tx.commit().await?;
        Ok(moved)
    }
}

/// The columns of `table` in PostgreSQL, in their order, with their types.
async fn columns_of(pg: &sqlx::PgPool, table: &str) -> Result<Vec<(String, Kind)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pg)
    .await?;
    rows.into_iter()
        .map(|(name, kind)| {
            let kind = match kind.as_str() {
                "integer" | "smallint" => Kind::Int4,
                "bigint" => Kind::Int8,
                "text" | "character varying" => Kind::Text,
                "bytea" => Kind::Bytes,
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "{table}.{name} has the type {other}, which the copy does not know"
                    )));
                }
            };
            Ok((name, kind))
        })
        .collect()
}

/// Column `i` of a SQLite row, as `kind`.
fn read(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Cell, StoreError> {
    use sqlx::Row;
    Ok(match kind {
        Kind::Int4 => {
            let value: Option<i64> = row.try_get(i)?;
            let value = value
                .map(i32::try_from)
                .transpose()
                .map_err(|_| StoreError::Corrupt("a number too large for its column".into()))?;
            Cell::Int4(value)
        }
        Kind::Int8 => Cell::Int8(row.try_get(i)?),
        Kind::Text => Cell::Text(row.try_get(i)?),
        Kind::Bytes => Cell::Bytes(row.try_get(i)?),
    })
}
