//! What the store's tests share (and the command's scale tests, which include this file).

/// A runtime of two threads (workers race on them).
#[allow(dead_code)] // Not every test file uses it.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The PostgreSQL server the tests may use (`WBS_TEST_POSTGRES`); `None` (with a notice)
/// when none is given, which CI (`CI` set) never allows.
pub fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("WBS_TEST_POSTGRES") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must give WBS_TEST_POSTGRES"
            );
            eprintln!("note: WBS_TEST_POSTGRES is not set: {what} is skipped");
            None
        }
    }
}

/// Runs a PostgreSQL test on [`rt`] with the server's URL; skipped (with the notice of
/// [`postgres_url`]) when there is none.
#[allow(dead_code)] // Not every test file uses it.
pub fn on_postgres<F: std::future::Future<Output = ()>>(
    what: &str,
    test: impl FnOnce(String) -> F,
) {
    if let Some(url) = postgres_url(what) {
        rt().block_on(test(url));
    }
}

/// A new, empty database on the server `url` names, for one test (dropped first if a
/// run before left it), dropped again when the guard is, panicking or not: what a test
/// leaves behind would keep autovacuum busy while the next test measures. Derefs to its
/// URL.
#[allow(dead_code)] // Not every test file uses it.
pub async fn fresh_postgres(url: &str, name: &str) -> TempDb {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let name = format!("wbs_{name}_{}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(url).await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    TempDb {
        url: format!("{server}/{name}{query}"),
        server: url.to_owned(),
        name,
    }
}

/// A database [`fresh_postgres`] made: dropped (its connections closed) with the guard.
pub struct TempDb {
    server: String,
    name: String,
    url: String,
}

impl std::ops::Deref for TempDb {
    type Target = str;

    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        use sqlx::{Connection, Executor};
        let (server, name) = (self.server.clone(), self.name.clone());
        // On a thread of its own (the guard may be dropped inside a runtime), for at most
        // 30 s: a server that stopped answering does not hang the test's end.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let drop = async {
                    let mut admin = sqlx::AnyConnection::connect(&server).await?;
                    admin
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await
                };
                match tokio::time::timeout(std::time::Duration::from_secs(30), drop).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer in 30 s".to_owned()),
                }
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("note: test database {} not dropped: {e}", self.name),
            Err(_) => eprintln!("note: test database {} not dropped", self.name),
        }
    }
}

/// Deletes the notifications and users `base..base + 10` (their groups and credentials go
/// by cascade): what a test on a shared PostgreSQL database would otherwise leave behind.
#[allow(dead_code)] // Not every test file uses it.
pub async fn forget_users(store: &wbs_store::Store, base: i64) {
    for table in ["notifications", "users"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE userid >= $1 AND userid < $2"
        ))
        .bind(base)
        .bind(base + 10)
        .execute(store.pool())
        .await
        .unwrap();
    }
}
