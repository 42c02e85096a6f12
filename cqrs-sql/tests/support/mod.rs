//! A read database for the PostgreSQL tests: a fresh schema in the `root` database
//! (beside the event store's `test`), reached through a pool whose connections use it.
#![allow(dead_code)]

/// The read database of one test, removed with [`ReadDatabase::drop_schema`].
pub(crate) struct ReadDatabase {
    pub(crate) admin: sqlx::PgPool,
    pub(crate) pool: sqlx::PgPool,
    pub(crate) schema: String,
}

impl ReadDatabase {
    /// A fresh schema; `None` without `DATABASE_URL`.
    pub(crate) async fn fresh() -> Option<ReadDatabase> {
        let url = std::env::var("DATABASE_URL").ok()?;
        let root = match url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/root"),
            None => url,
        };
        let schema = format!("read_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&root).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        let search_path = schema.clone();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .after_connect(move |conn, _| {
                let set = format!("SET search_path TO {search_path}");
                Box::pin(async move {
                    sqlx::query(&set).execute(conn).await?;
                    Ok(())
                })
            })
            .connect(&root)
            .await
            .unwrap();
        Some(ReadDatabase {
            admin,
            pool,
            schema,
        })
    }

    /// Closes the pool and drops the schema.
    pub(crate) async fn drop_schema(self) {
        self.pool.close().await;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&self.admin)
            .await
            .unwrap();
    }
}
