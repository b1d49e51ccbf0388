//! Users and their credentials.

use sqlx::{AnyConnection, Row};
use wbs_proto::wbs_model::{Timestamp, User, UserId};
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::wbs_oauth2::{SinkError, SinkFuture, TokenSet, TokenSink};

use crate::error::{Error, Result};
use crate::groups::{now, text};
use crate::open::Store;

/// A user's stored access token. Its `Debug` shows no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredToken {
    /// An OAuth 1.0a access token and its secret.
    OAuth1(Credentials),
    /// An OAuth 2 token set (access and refresh token, expiry, scope).
    OAuth2(TokenSet),
}

/// The store keeps a client's refreshed token sets (`Client::builder_oauth2`'s sink): each
/// is committed (on disk, for SQLite) before `save` returns, so before the client uses it.
impl TokenSink for Store {
    fn save<'a>(&'a self, set: &'a TokenSet) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            self.save_token(UserId::new(set.userid), &StoredToken::OAuth2(set.clone()))
                .await
                .map_err(SinkError::from)
        })
    }

    fn load(&self, userid: i64) -> SinkFuture<'_, Option<TokenSet>> {
        Box::pin(async move {
            match self.token(UserId::new(userid)).await {
                Ok(Some(StoredToken::OAuth2(set))) => Ok(Some(set)),
                Ok(_) => Ok(None),
                Err(e) => Err(SinkError::from(e)),
            }
        })
    }
}

/// Adds the user's row if it is not there yet.
pub(crate) async fn ensure_user(conn: &mut AnyConnection, userid: UserId) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (userid, added_at) VALUES ($1, $2) ON CONFLICT (userid) DO NOTHING",
    )
    .bind(userid.get())
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Keeps what the service says of a user (user/getbyuserid), replacing what was kept.
    pub async fn put_user(&self, user: &User) -> Result<()> {
        self.bounded(async {
            sqlx::query(
                "INSERT INTO users (userid, firstname, lastname, shortname, gender, fatmethod, \
             birthdate, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (userid) DO UPDATE SET firstname = excluded.firstname, \
             lastname = excluded.lastname, shortname = excluded.shortname, \
             gender = excluded.gender, fatmethod = excluded.fatmethod, \
             birthdate = excluded.birthdate",
            )
            .bind(user.id.get())
            .bind(text(user.firstname.as_deref(), self.backend()))
            .bind(text(user.lastname.as_deref(), self.backend()))
            .bind(text(user.shortname.as_deref(), self.backend()))
            .bind(user.gender.map(|g| g.code()))
            .bind(user.fatmethod)
            .bind(user.birthdate.map(Timestamp::secs))
            .bind(now())
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    /// The users the store knows, by id.
    pub async fn users(&self) -> Result<Vec<UserId>> {
        self.bounded(async {
            let ids: Vec<i64> = sqlx::query_scalar("SELECT userid FROM users ORDER BY userid")
                .fetch_all(&self.pool)
                .await?;
            Ok(ids.into_iter().map(UserId::new).collect())
        })
        .await
    }

    /// Keeps a user's access token (replacing the one kept), and clears a need to
    /// authorize again.
    pub async fn save_token(&self, userid: UserId, token: &StoredToken) -> Result<()> {
        self.bounded(async {
            let Columns {
                kind,
                token,
                secret,
                refresh,
                expires,
                scope,
            } = Columns::of(token);
            let mut tx = self.pool.begin().await?;
            ensure_user(&mut tx, userid).await?;
            sqlx::query(
                "INSERT INTO credentials (userid, kind, token, secret, refresh_token, expires_at, \
             scope, needs_reauth, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) \
             ON CONFLICT (userid) DO UPDATE SET kind = excluded.kind, token = excluded.token, \
             secret = excluded.secret, refresh_token = excluded.refresh_token, \
             expires_at = excluded.expires_at, scope = excluded.scope, needs_reauth = 0, \
             updated_at = excluded.updated_at",
            )
            .bind(userid.get())
            .bind(kind)
            .bind(token)
            .bind(secret)
            .bind(refresh)
            .bind(expires)
            .bind(scope)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Marks a user's credentials as refused by the service (250, 342, a refresh token
    /// revoked): their notifications wait, unclaimed, until new credentials are saved.
    /// Only if `refused` is still what is kept: `false`, marking nothing, when other
    /// credentials were saved meanwhile (the user authorized again while a worker tried the
    /// old ones, or a refresh replaced them), which deserve a try of their own.
    pub async fn mark_needs_reauth(&self, userid: UserId, refused: &StoredToken) -> Result<bool> {
        self.bounded(async {
            let c = Columns::of(refused);
            let marked = sqlx::query(
                "UPDATE credentials SET needs_reauth = 1 WHERE userid = $1 AND kind = $2 \
             AND token = $3 AND COALESCE(secret, '') = $4 AND COALESCE(refresh_token, '') = $5",
            )
            .bind(userid.get())
            .bind(c.kind)
            .bind(c.token)
            .bind(c.secret.unwrap_or(""))
            .bind(c.refresh.unwrap_or(""))
            .execute(&self.pool)
            .await?;
            Ok(marked.rows_affected() > 0)
        })
        .await
    }

    /// The users whose credentials the service refused, by id.
    pub async fn users_needing_reauth(&self) -> Result<Vec<UserId>> {
        self.bounded(async {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT userid FROM credentials WHERE needs_reauth <> 0 ORDER BY userid",
            )
            .fetch_all(&self.pool)
            .await?;
            Ok(ids.into_iter().map(UserId::new).collect())
        })
        .await
    }

    /// How many users' credentials were refused ([`Store::users_needing_reauth`], counted).
    pub async fn count_needing_reauth(&self) -> Result<u64> {
        const REFUSED: &str = "SELECT COUNT(*) FROM credentials WHERE needs_reauth <> 0";
        self.count(REFUSED, &[]).await
    }

    /// Whether credentials are kept for the user (without reading them).
    pub async fn has_credentials(&self, userid: UserId) -> Result<bool> {
        self.bounded(async {
            let found: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM credentials WHERE userid = $1")
                    .bind(userid.get())
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(found.is_some())
        })
        .await
    }

    /// A user's access token, if one is kept.
    pub async fn token(&self, userid: UserId) -> Result<Option<StoredToken>> {
        self.bounded(async {
            let row = sqlx::query(
                "SELECT kind, token, secret, refresh_token, expires_at, scope \
             FROM credentials WHERE userid = $1",
            )
            .bind(userid.get())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let kind: String = row.try_get(0)?;
            match kind.as_str() {
                "oauth1" => {
                    let secret: Option<String> = row.try_get(2)?;
                    Ok(Some(StoredToken::OAuth1(Credentials::new(
                        row.try_get::<String, _>(1)?,
                        secret.unwrap_or_default(),
                    ))))
                }
                "oauth2" => {
                    let refresh: Option<String> = row.try_get(3)?;
                    let expires: Option<i64> = row.try_get(4)?;
                    let scope: Option<String> = row.try_get(5)?;
                    let (Some(refresh), Some(expires)) =
                        (refresh.filter(|r| !r.is_empty()), expires)
                    else {
                        return Err(Error::Corrupt {
                            what: "credentials",
                            why: "an OAuth 2 row without its refresh token or expiry".into(),
                        });
                    };
                    Ok(Some(StoredToken::OAuth2(TokenSet::new(
                        userid.get(),
                        row.try_get::<String, _>(1)?,
                        refresh,
                        expires,
                        scope.unwrap_or_default(),
                    ))))
                }
                other => Err(Error::Corrupt {
                    what: "credentials",
                    why: format!("unknown kind {other:?}"),
                }),
            }
        })
        .await
    }
}

/// A stored token as the `credentials` table's columns hold it.
struct Columns<'a> {
    kind: &'static str,
    token: &'a str,
    secret: Option<&'a str>,
    refresh: Option<&'a str>,
    expires: Option<i64>,
    scope: Option<&'a str>,
}

impl<'a> Columns<'a> {
    fn of(token: &'a StoredToken) -> Self {
        match token {
            StoredToken::OAuth1(c) => Self {
                kind: "oauth1",
                token: c.key.as_str(),
                secret: Some(c.secret.expose()),
                refresh: None,
                expires: None,
                scope: None,
            },
            StoredToken::OAuth2(t) => Self {
                kind: "oauth2",
                token: t.access_token.expose(),
                secret: None,
                refresh: Some(t.refresh_token.expose()),
                expires: Some(t.expires_at),
                scope: Some(t.scope.as_str()),
            },
        }
    }
}
