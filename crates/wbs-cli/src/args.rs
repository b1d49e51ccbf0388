//! The command line: every flag and subcommand of `wbs`, parsed by clap.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wbs_hyper::MeasureType;

use crate::dates;
use crate::output::Format;
use crate::plot::PlotKind;

/// The Withings Body metrics Services (WBS) API from the command line.
#[derive(Parser, Debug)]
#[command(name = "wbs", version, about)]
pub(crate) struct Cli {
    /// The API's base URL.
    #[arg(long, global = true, env = "WBS_BASE_URL")]
    pub(crate) base_url: Option<String>,
    /// The OAuth endpoints' base (for `auth login`).
    #[arg(long, global = true, env = "WBS_OAUTH_URL")]
    pub(crate) oauth_url: Option<String>,
    /// The application's consumer key.
    #[arg(long, global = true, env = "WBS_CONSUMER_KEY")]
    pub(crate) consumer_key: Option<String>,
    /// The application's consumer secret.
    #[arg(
        long,
        global = true,
        env = "WBS_CONSUMER_SECRET",
        hide_env_values = true
    )]
    pub(crate) consumer_secret: Option<String>,
    /// The user's access token.
    #[arg(long, global = true, env = "WBS_TOKEN")]
    pub(crate) token: Option<String>,
    /// The user's access token secret.
    #[arg(long, global = true, env = "WBS_TOKEN_SECRET", hide_env_values = true)]
    pub(crate) token_secret: Option<String>,
    /// The application's OAuth 2 client id (today's service).
    #[arg(long, global = true, env = "WBS_CLIENT_ID")]
    pub(crate) client_id: Option<String>,
    /// The application's OAuth 2 client secret.
    #[arg(long, global = true, env = "WBS_CLIENT_SECRET", hide_env_values = true)]
    pub(crate) client_secret: Option<String>,
    /// The configuration file `wbs auth login` writes (default: $XDG_CONFIG_HOME/wbs/config.json).
    #[arg(long, global = true, env = "WBS_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// How to print data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// The history store: a SQLite file (default $XDG_DATA_HOME/wbs/wbs.sqlite), `sqlite:PATH`
    /// or `postgres://…`.
    #[arg(
        long,
        visible_alias = "database",
        global = true,
        env = "WBS_DB",
        hide_env_values = true
    )]
    pub(crate) db: Option<String>,
    /// Run against an embedded sandbox on 127.0.0.1, seeded with the reference's examples.
    #[arg(long, global = true)]
    pub(crate) sandbox: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Check that the service answers and the credentials sign correctly.
    Probe,
    /// Show a user.
    User {
        /// The user's id.
        userid: i64,
    },
    /// Export measure groups (every page, newest first).
    Measures(MeasuresArgs),
    /// Keep the history store (or, with --out, a file) in step with a user's data: only new
    /// or changed groups are fetched, and a sync interrupted at any moment resumes.
    Sync {
        /// The user's id.
        #[arg(long)]
        user: i64,
        /// Export to this file instead of the store (a JSON array of groups; the cursor is
        /// kept beside it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print a user's stored history (no network).
    History(HistoryArgs),
    /// Draw a user's stored history as an SVG chart (no network).
    Plot(PlotArgs),
    /// Notification subscriptions, and a listener for them.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// The OAuth checker: sign a request and show every step, or verify a signed URL.
    #[command(subcommand)]
    Oauth(OauthCommand),
    /// Authorize this command for a user (the three-legged flow).
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Run the multi-user notification service: webhook, durable queue, workers, store.
    Serve(ServeArgs),
    /// Run the sandbox server.
    Sim(wbs_sim::SimOptions),
}

#[derive(Args, Debug)]
pub(crate) struct MeasuresArgs {
    /// The user's id.
    #[arg(long)]
    pub(crate) user: i64,
    #[command(flatten)]
    pub(crate) view: View,
    /// One measure type: a name (weight, height, fat_ratio, …) or a code.
    #[arg(long = "type")]
    pub(crate) measure_type: Option<MeasureType>,
    /// Measurements or targets.
    #[arg(long, value_enum)]
    pub(crate) category: Option<CategoryArg>,
    /// Device types, as a code or bitmask (0 user, 1 body scale, 4 blood pressure).
    #[arg(long)]
    pub(crate) devtype: Option<i64>,
    /// Only groups added or changed since (same forms as --since).
    #[arg(long, value_parser = dates::parse)]
    pub(crate) last_update: Option<i64>,
    /// At most this many groups (default: all).
    #[arg(long)]
    pub(crate) limit: Option<u32>,
}

/// Which dates, shown in which units: the options every reading command shares.
#[derive(Args, Debug)]
pub(crate) struct View {
    /// Nothing before (epoch seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC).
    #[arg(long, value_parser = dates::parse)]
    pub(crate) since: Option<i64>,
    /// Nothing after (same forms).
    #[arg(long, value_parser = dates::parse)]
    pub(crate) until: Option<i64>,
    /// SI as sent, or imperial.
    #[arg(long, value_enum, default_value_t = UnitsArg::Si)]
    pub(crate) units: UnitsArg,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Where the service listens.
    #[arg(long, default_value = "127.0.0.1:8086")]
    pub(crate) listen: SocketAddr,
    /// The service's public base URL, which the API's servers reach (users added through
    /// the admin API are subscribed to {URL}/notify).
    #[arg(long, env = "WBS_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Workers fetching at once.
    #[arg(long, default_value_t = 4)]
    pub(crate) workers: usize,
    /// Requests per minute for the consumer key, across all users (and, on PostgreSQL,
    /// across every instance on the database: give them all the same).
    #[arg(long, default_value_t = 120)]
    pub(crate) rate_limit: u32,
    /// The admin API's bearer token (no admin API without one).
    #[arg(long, env = "WBS_ADMIN_TOKEN", hide_env_values = true)]
    pub(crate) admin_token: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct HistoryArgs {
    /// The user's id.
    #[arg(long)]
    pub(crate) user: i64,
    /// One measure type: a name (weight, height, fat_ratio, …) or a code.
    #[arg(long = "type")]
    pub(crate) measure_type: Option<MeasureType>,
    #[command(flatten)]
    pub(crate) view: View,
}

#[derive(Args, Debug)]
pub(crate) struct PlotArgs {
    /// The user's id.
    #[arg(long)]
    pub(crate) user: i64,
    /// What to draw.
    #[arg(long = "type", value_enum)]
    pub(crate) kind: PlotKind,
    #[command(flatten)]
    pub(crate) view: View,
    /// The SVG file to write (replaced whole).
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CategoryArg {
    Measure,
    Target,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum UnitsArg {
    Si,
    Imperial,
}

impl From<UnitsArg> for wbs_hyper::Units {
    fn from(u: UnitsArg) -> Self {
        match u {
            UnitsArg::Si => Self::Si,
            UnitsArg::Imperial => Self::Imperial,
        }
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum NotifyCommand {
    /// Subscribe a callback URL.
    Subscribe {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        url: String,
        #[arg(long)]
        comment: String,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// Show one subscription.
    Get(SubscriptionArgs),
    /// List the subscriptions.
    List {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        appli: Option<i64>,
    },
    /// End a subscription.
    Revoke(SubscriptionArgs),
    /// Receive notifications and print each (and, with --fetch, the groups it announces).
    Listen {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        #[arg(long, default_value = "/wbs/notify")]
        path: String,
        #[arg(long)]
        fetch: bool,
    },
}

/// One subscription: whose, its callback URL, and its device type.
#[derive(Args, Debug)]
pub(crate) struct SubscriptionArgs {
    /// The user's id.
    #[arg(long, value_name = "USERID")]
    pub(crate) user: i64,
    /// The callback URL (absolute http or https).
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// The device type (a code; default 1, body scale).
    #[arg(long, value_name = "CODE")]
    pub(crate) appli: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub(crate) enum OauthCommand {
    /// Sign a request and print the normalized parameters, base string, signature and URL.
    Sign {
        #[arg(long, default_value = "GET")]
        method: String,
        #[arg(long)]
        url: String,
        /// A request parameter, name=value (repeat).
        #[arg(long = "param")]
        params: Vec<String>,
        #[arg(long)]
        nonce: Option<String>,
        #[arg(long)]
        timestamp: Option<String>,
    },
    /// Say whether a signed URL verifies with the given secrets, and if not, why.
    Verify {
        url: String,
        #[arg(long, default_value = "GET")]
        method: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum AuthCommand {
    /// Run the three-legged flow and store the user's token in the config file.
    Login {
        /// Where the local callback listener listens.
        #[arg(long, default_value = "127.0.0.1:0")]
        callback_addr: SocketAddr,
        /// Out of band, for a machine without a browser: print the URL to open elsewhere
        /// and read the verifier the service shows (or the redirected URL) from standard
        /// input.
        #[arg(long)]
        oob: bool,
        /// How long to wait for the approval, in seconds.
        #[arg(long, default_value_t = 600)]
        wait: u64,
        /// Today's service: OAuth 2 (with --client-id and --client-secret) instead of the
        /// 2013 OAuth 1.
        #[arg(long)]
        oauth2: bool,
        /// OAuth 2 scopes, comma-separated.
        #[arg(long, default_value = wbs_hyper::DEFAULT_SCOPE)]
        scope: String,
        /// OAuth 2 with --oob: the redirect URI registered for the application (the browser
        /// is sent there; paste the URL it shows).
        #[arg(long, default_value = "http://localhost/callback")]
        redirect_uri: String,
    },
}
