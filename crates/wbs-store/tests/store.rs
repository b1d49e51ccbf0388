//! The store on real SQLite files (and on PostgreSQL when `WBS_TEST_POSTGRES` names a
//! server): groups read back exactly, upserts replace, cursors and pending groups follow
//! the pages, the file is its owner's only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use proptest::prelude::*;
use wbs_proto::wbs_model::{
    Attribution, Category, GroupExtra, GroupId, Measure, MeasureGroup, MeasureType, SkippedGroup,
    Timestamp, UserId,
};
use wbs_proto::{GetMeas, MeasurePager, SyncCursor};
use wbs_store::{HistoryQuery, Store, StoredToken};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn group(id: i64, date: i64, measures: Vec<Measure>) -> MeasureGroup {
    MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(date),
        Category::MEASURE,
        measures,
    )
}

/// A group with every field the model keeps: newer-server extras, unknown codes.
fn rich_group() -> MeasureGroup {
    let mut m = Measure::new(MeasureType::from_code(229), i64::MIN, i32::MIN);
    let x = m.extra.get_or_insert_with(Default::default);
    x.position = Some(12);
    x.algo = Some(3);
    x.fm = Some(-1);
    let mut g = MeasureGroup::new(
        GroupId::new(i64::MAX),
        Attribution::from_code(77),
        Timestamp::from_secs(-5),
        Category::from_code(9),
        vec![Measure::new(MeasureType::WEIGHT, 79_300, -3), m],
    );
    let x = g.extra_mut();
    x.created = Some(Timestamp::from_secs(1));
    x.modified = Some(Timestamp::from_secs(2));
    x.deviceid = Some("dev'ice\"; DROP TABLE users; --".into());
    x.hash_deviceid = Some("h".into());
    x.model = Some("Body Cardio ✓".into());
    x.modelid = Some(6);
    x.timezone = Some("Europe/Paris".into());
    x.comment = Some(String::new());
    g
}

async fn sqlite() -> (tempfile::TempDir, Store) {
    // A name the driver's URL must not misread.
    wbs_testkit::temp_sqlite("a dir/w?b#s%20.sqlite").await
}

/// Commits one (incomplete) page of `groups` at `cursor`; then the user's whole history.
async fn commit_then_read(
    store: &Store,
    groups: &[MeasureGroup],
    cursor: &SyncCursor,
) -> Vec<MeasureGroup> {
    let user = cursor.userid;
    store
        .commit_page(user, groups, &[], cursor, false)
        .await
        .unwrap();
    store.groups(&HistoryQuery::new(user)).await.unwrap()
}

/// Every field back exactly, upserts that replace, filters: on any backend, for a user of
/// the caller's.
async fn groups_read_back_exactly_and_upserts_replace(store: &Store, user: UserId) {
    let cursor = SyncCursor::new(user);
    let g1 = rich_group();
    let g2 = group(
        2908,
        1_222_930_967,
        vec![Measure::new(MeasureType::HEIGHT, 173, -2)],
    );
    let all = commit_then_read(store, &[g1.clone(), g2.clone()], &cursor).await;
    assert_eq!(
        all,
        vec![g2.clone(), g1.clone()],
        "newest first, every field"
    );

    // Replaced: fewer measures, a new date; the other group untouched; no doubles.
    let g2b = group(
        2908,
        1_300_000_000,
        vec![Measure::new(MeasureType::FAT_RATIO, 178, -1)],
    );
    let all = commit_then_read(store, &[g2b.clone(), g2b.clone()], &cursor).await;
    assert_eq!(all, vec![g2b.clone(), g1.clone()]);
    assert_eq!(
        store.count_groups(&HistoryQuery::new(user)).await.unwrap(),
        2
    );

    // Filters.
    let q = HistoryQuery::new(user).measure_type(MeasureType::FAT_RATIO);
    assert_eq!(store.groups(&q).await.unwrap(), vec![g2b.clone()]);
    let q = HistoryQuery::new(user)
        .measure_type(MeasureType::HEIGHT)
        .measure_type(MeasureType::from_code(229));
    assert_eq!(store.groups(&q).await.unwrap(), vec![g1.clone()]);
    let q = HistoryQuery::new(user).since(Timestamp::from_secs(0));
    assert_eq!(store.groups(&q).await.unwrap(), vec![g2b.clone()]);
    let q = HistoryQuery::new(user).until(Timestamp::from_secs(0));
    assert_eq!(store.groups(&q).await.unwrap(), vec![g1.clone()]);
    let q = HistoryQuery::new(user).category(Category::MEASURE);
    assert_eq!(store.groups(&q).await.unwrap(), vec![g2b]);
    let other = UserId::new(user.get() + 1);
    assert!(store
        .groups(&HistoryQuery::new(other))
        .await
        .unwrap()
        .is_empty());

    // A token: kept, replaced, never in Debug.
    let token = |s: &str| StoredToken::OAuth1(wbs_proto::wbs_oauth::Credentials::new("tk", s));
    store
        .save_token(user, &token("first-secret"))
        .await
        .unwrap();
    store.save_token(user, &token("very-secret")).await.unwrap();
    let kept = store.token(user).await.unwrap().unwrap();
    assert!(!format!("{kept:?}").contains("very-secret"));
    assert_eq!(kept, token("very-secret"));
    assert!(store.users().await.unwrap().contains(&user));

    // An OAuth 2 token set, kept through the client's hook, replaces it.
    let set = wbs_proto::wbs_oauth2::TokenSet::new(
        user.get(),
        "access",
        "refresh",
        1_700_010_800,
        "user.metrics",
    );
    wbs_proto::wbs_oauth2::TokenSink::save(store, &set)
        .await
        .unwrap();
    let kept = store.token(user).await.unwrap().unwrap();
    assert_eq!(kept, StoredToken::OAuth2(set));
    assert!(!format!("{kept:?}").contains("refresh\""));
}

#[test]
fn groups_on_sqlite() {
    rt().block_on(async {
        let (dir, store) = sqlite().await;
        let user = UserId::new(29);
        groups_read_back_exactly_and_upserts_replace(&store, user).await;
        // Reopened: the same.
        store.close().await;
        let again = Store::open_sqlite(&dir.path().join("a dir/w?b#s%20.sqlite"))
            .await
            .unwrap();
        assert_eq!(
            again.count_groups(&HistoryQuery::new(user)).await.unwrap(),
            2
        );
    });
}

/// A file `wbs.sqlite` holding `bytes`, in a new temporary directory.
fn file_holding(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wbs.sqlite");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[cfg(unix)]
#[test]
fn the_file_is_its_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    rt().block_on(async {
        let (_dir, path) = file_holding(b"");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::open_sqlite(&path).await.unwrap();
        store
            .save_token(
                UserId::new(29),
                &StoredToken::OAuth1(wbs_proto::wbs_oauth::Credentials::new("tk", "very-secret")),
            )
            .await
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let token = store.token(UserId::new(29)).await.unwrap().unwrap();
        assert!(!format!("{token:?}").contains("very-secret"));
        let StoredToken::OAuth1(c) = token else {
            unreachable!()
        };
        assert_eq!(c.secret.expose(), "very-secret");
    });
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_and_left_alone() {
    rt().block_on(async {
        let (_dir, path) = file_holding(b"not a database, and precious");
        let err = Store::open_sqlite(&path).await.unwrap_err();
        assert!(err.to_string().contains("database"), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"not a database, and precious"
        );
        let err = Store::open("mysql://root:hunter2@db/x").await.unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    });
}

/// Checkpoints, the pending malformed groups: on any backend, for a user of the caller's.
async fn the_cursor_follows_the_pages_and_malformed_groups_stay_pending_until_whole(
    store: &Store,
    user: UserId,
) {
    {
        assert_eq!(store.cursor(user).await.unwrap(), None);
        // A checkpoint mid-sync, through a real pager.
        let mut pager = MeasurePager::new(GetMeas::new(user));
        let body = br#"{"status":0,"body":{"updatetime":100,"more":5,"measuregrps":[
            {"grpid":5,"attrib":0,"date":50,"category":1,"measures":[]},
            {"grpid":4,"attrib":0,"date":"bad","category":1,"measures":[]}]}}"#;
        let groups = pager.handle_response(http::StatusCode::OK, body).unwrap();
        let skipped = pager.take_new_skipped();
        let mid = SyncCursor::new(user).after_page(&pager);
        assert!(mid.progress.is_some());
        store
            .commit_page(user, &groups, &skipped, &mid, false)
            .await
            .unwrap();
        assert_eq!(store.cursor(user).await.unwrap(), Some(mid.clone()));
        assert_eq!(
            store
                .cursor(user)
                .await
                .unwrap()
                .unwrap()
                .pager()
                .next_call(),
            pager.next_call()
        );
        let pending = store.malformed(user).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].grpid, Some(GroupId::new(4)));

        // The sync ends having left a group out: lastupdate stays, the group stays pending.
        let mut done = mid.clone();
        done.progress = None;
        store
            .commit_page(user, &[], &[], &done, false)
            .await
            .unwrap();
        assert_eq!(store.malformed(user).await.unwrap().len(), 1);

        // Group 4 arrives whole: pending no more.
        store
            .commit_page(user, &[group(4, 40, vec![])], &[], &done, false)
            .await
            .unwrap();
        assert!(store.malformed(user).await.unwrap().is_empty());

        // A nameless malformed group stays pending (one row, however often it is seen) until
        // a synchronisation completes with nothing left out.
        let mut pager = MeasurePager::new(GetMeas::new(user));
        let body = br#"{"status":0,"body":{"updatetime":100,"more":0,"measuregrps":[{"date":1}]}}"#;
        assert!(pager
            .handle_response(http::StatusCode::OK, body)
            .unwrap()
            .is_empty());
        let nameless: Vec<SkippedGroup> = pager.take_new_skipped();
        assert_eq!(nameless[0].grpid, None);
        for _ in 0..3 {
            store
                .commit_page(user, &[], &nameless, &done, false)
                .await
                .unwrap();
        }
        assert_eq!(store.malformed(user).await.unwrap().len(), 1);
        // Even a changed lastupdate does not clear it unless the sync says it is complete.
        let mut advanced = done.clone();
        for (lastupdate, complete, pending) in [(150, false, 1), (200, true, 0)] {
            advanced.lastupdate = Some(Timestamp::from_secs(lastupdate));
            store
                .commit_page(user, &[], &[], &advanced, complete)
                .await
                .unwrap();
            assert_eq!(store.malformed(user).await.unwrap().len(), pending);
        }
        assert_eq!(store.cursor(user).await.unwrap(), Some(advanced.clone()));

        // A checkpoint this version cannot read: dropped, the sync starts from lastupdate.
        sqlx::query("UPDATE sync_cursors SET progress = 'not json' WHERE userid = $1")
            .bind(user.get())
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(store.cursor(user).await.unwrap(), Some(advanced));
    }
}

#[test]
fn cursor_on_sqlite() {
    rt().block_on(async {
        let (_dir, store) = sqlite().await;
        the_cursor_follows_the_pages_and_malformed_groups_stay_pending_until_whole(
            &store,
            UserId::new(7),
        )
        .await;
    });
}

/// Every table's columns, in order, as the migrated database has them.
async fn columns(store: &Store) -> Vec<(String, String)> {
    let sql = match store.backend() {
        wbs_store::Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             ORDER BY m.name, p.cid"
        }
        _ => {
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
             ORDER BY table_name, ordinal_position"
        }
    };
    sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap()
}

/// Every index the migrations create (not those of keys and constraints), by table.
async fn indexes(store: &Store) -> Vec<(String, String)> {
    let sql = match store.backend() {
        wbs_store::Backend::Sqlite => {
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             ORDER BY tbl_name, name"
        }
        _ => {
            "SELECT CAST(tablename AS TEXT), CAST(indexname AS TEXT) FROM pg_indexes \
             WHERE schemaname = current_schema() \
             AND indexname NOT IN (SELECT conname FROM pg_constraint) \
             ORDER BY tablename, indexname"
        }
    };
    sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap()
}

/// Both backends, migrated, have the same tables with the same columns in the same order,
/// and the same indexes (the migrations are one file a version, rendered per dialect: this
/// checks what the databases made of them).
#[test]
fn one_schema_for_both_backends() {
    let on_sqlite = rt().block_on(async {
        let (_dir, store) = sqlite().await;
        (columns(&store).await, indexes(&store).await)
    });
    assert!(
        on_sqlite
            .0
            .iter()
            .any(|(t, c)| t == "measures" && c == "unit"),
        "{on_sqlite:?}"
    );
    assert!(
        on_sqlite.1.iter().any(|(t, _)| t == "notifications"),
        "{on_sqlite:?}"
    );
    common::on_postgres("the schema comparison", |url| async move {
        let db = common::fresh_postgres(&url, "schema").await;
        let store = Store::open(&db).await.unwrap();
        assert_eq!((columns(&store).await, indexes(&store).await), on_sqlite);
    });
}

/// The same checks on PostgreSQL, when `WBS_TEST_POSTGRES` names a server (CI always
/// does), with users of this run's own that are removed at the end.
#[test]
fn on_postgres_too() {
    common::on_postgres("the PostgreSQL store test", |url| async move {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.backend(), wbs_store::Backend::Postgres);
        let base = 1_000_000 + 10 * i64::from(std::process::id());
        groups_read_back_exactly_and_upserts_replace(&store, UserId::new(base)).await;
        the_cursor_follows_the_pages_and_malformed_groups_stay_pending_until_whole(
            &store,
            UserId::new(base + 2),
        )
        .await;
        // NUL, which PostgreSQL text cannot hold, is kept as U+FFFD; the rest exactly.
        let user = UserId::new(base + 4);
        let mut g = group(1, 1, vec![]);
        g.extra_mut().timezone = Some("a\0b".into());
        store.ingest(user, &[g]).await.unwrap();
        let back = store.groups(&HistoryQuery::new(user)).await.unwrap();
        assert_eq!(back[0].timezone(), Some("a\u{FFFD}b"));
        common::forget_users(&store, base).await;
    });
}

fn arb_group() -> impl Strategy<Value = MeasureGroup> {
    let measure = (
        any::<i64>(),
        any::<i64>(),
        any::<i32>(),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(ty, v, u, pos)| {
            let mut m = Measure::new(MeasureType::from_code(ty), v, u);
            if let Some(p) = pos {
                m.extra.get_or_insert_with(Default::default).position = Some(p);
            }
            m
        });
    (
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        proptest::collection::vec(measure, 0..6),
        proptest::option::of(".*"),
    )
        .prop_map(|(id, attrib, date, cat, measures, tz)| {
            let extra = GroupExtra {
                timezone: tz,
                ..GroupExtra::default()
            };
            MeasureGroup::from_wire(id, attrib, date, cat, measures, extra)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any groups, any integers and text: stored and read back equal, once each.
    #[test]
    fn any_groups_round_trip(groups in proptest::collection::vec(arb_group(), 0..150)) {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open_sqlite(&dir.path().join("p.sqlite")).await.unwrap();
            let user = UserId::new(1);
            store.ingest(user, &groups).await.unwrap();
            let mut expected: Vec<MeasureGroup> = Vec::new();
            for g in &groups {
                if !expected.iter().any(|e| e.grpid == g.grpid) {
                    expected.push(g.clone());
                }
            }
            expected.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
            let got = store.groups(&HistoryQuery::new(user)).await.unwrap();
            assert_eq!(got, expected);
        });
    }
}

/// Every PostgreSQL connection of a store has its limits (a statement, a session idle in
/// a transaction), as the server reports them, and a URL's own `options` win.
#[test]
fn postgres_connections_have_their_timeouts() {
    common::on_postgres("the PostgreSQL timeouts", |url| async move {
        let show = |store: Store, name: &'static str| async move {
            let mut conn = store.pool().acquire().await.unwrap();
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            value
        };
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            show(store.clone(), "statement_timeout").await,
            wbs_store::STATEMENT_TIMEOUT
        );
        assert_eq!(
            show(store, "idle_in_transaction_session_timeout").await,
            wbs_store::IDLE_IN_TRANSACTION_TIMEOUT
        );
        let sep = if url.contains('?') { '&' } else { '?' };
        let own = Store::open(&format!("{url}{sep}options[statement_timeout]=5s"))
            .await
            .unwrap();
        assert_eq!(show(own, "statement_timeout").await, "5s");
        let unlimited = Store::open(&format!("{url}{sep}options[statement_timeout]=0"))
            .await
            .unwrap();
        assert_eq!(show(unlimited, "statement_timeout").await, "0");
    });
}
