//! `wbs notify`: subscriptions, and a listener that prints (and fetches) notifications.

use futures_util::StreamExt;
use serde_json::json;
use wbs_hyper::{Client, Units, UserId};

use crate::args::NotifyCommand;
use crate::config::appli;
use crate::output::{self, Format};
use crate::Failure;

pub(crate) async fn notify(
    client: &Result<Client, Failure>,
    cmd: &NotifyCommand,
    format: Format,
) -> Result<(), Failure> {
    let c = || {
        client.as_ref().map_err(|f| Failure {
            what: f.what.clone(),
            hint: f.hint,
            code: f.code,
        })
    };
    match cmd {
        NotifyCommand::Subscribe {
            user,
            url,
            comment,
            appli: a,
        } => {
            c()?.subscribe(UserId::new(*user), url, comment, appli(*a))
                .await?;
            output::message(format, "subscribed", json!({"status": 0}));
        }
        NotifyCommand::Get(s) => {
            let s = c()?
                .subscription(UserId::new(s.user), &s.url, appli(s.appli))
                .await?;
            output::subscriptions(format, &[s]);
        }
        NotifyCommand::List { user, appli: a } => {
            let list = c()?.subscriptions(UserId::new(*user), appli(*a)).await?;
            output::subscriptions(format, &list);
        }
        NotifyCommand::Revoke(s) => {
            c()?.revoke(UserId::new(s.user), &s.url, appli(s.appli))
                .await?;
            output::message(format, "revoked", json!({"status": 0}));
        }
        NotifyCommand::Listen { addr, path, fetch } => {
            let (listener, notifications) = wbs_hyper::NotificationListener::bind(*addr, path)
                .await
                .map_err(|e| Failure::new(format!("cannot listen on {addr}: {e}")))?;
            eprintln!("wbs: listening on {} (Ctrl-C stops)", listener.url());
            let mut notifications = std::pin::pin!(notifications);
            loop {
                let next = tokio::select! {
                    n = notifications.next() => n,
                    _ = tokio::signal::ctrl_c() => None,
                };
                let Some(received) = next else { break };
                match received {
                    Ok(n) => {
                        output::notification(format, &n);
                        if *fetch {
                            // A failed fetch is reported; the listener goes on.
                            match c()?.fetch_notified(&n).await {
                                Ok(fetched) => {
                                    for s in &fetched.skipped {
                                        eprintln!(
                                            "wbs: warning: a malformed measure group ({:?}) was left out: {}",
                                            s.grpid.map(|g| g.get()),
                                            s.reason
                                        );
                                    }
                                    output::groups(format, &fetched.groups, Units::Si, None);
                                }
                                Err(e) => eprintln!("wbs: cannot fetch what was notified: {e}"),
                            }
                        }
                    }
                    Err(e) => eprintln!("wbs: refused a notification: {e}"),
                }
            }
        }
    }
    Ok(())
}
