//! Pagination of getmeas, and incremental synchronisation.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use wbs_model::{GroupId, MeasureGroup, Timestamp, UserId};

use crate::error::ResponseError;
use crate::getmeas::GetMeas;
use crate::params::Call;
use wbs_model::{DecodedPage, SkippedGroup};

/// The server's implicit page size (reference: "currently 2048 groups by query").
pub const IMPLICIT_LIMIT: u32 = 2048;

/// The default hard cap on pages: two million groups at the implicit page size.
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// Fetches every group of a getmeas query, page after page, each group exactly once.
///
/// Driven from outside: ask [`MeasurePager::next_call`] what to send, send it, hand the
/// answer to [`MeasurePager::handle_response`]; repeat until it says done. A failed page
/// changes nothing: send the same call again.
///
/// How nothing is lost or doubled, even when data changes between pages:
/// - the end date is pinned at the first page (to its `updatetime`, unless the query has
///   one), so groups measured meanwhile do not push the list down;
/// - every page after the first starts one group early (and asks for one more) and checks
///   that this group is the last one of the previous page. If it is not, the list moved under us (a group was
///   added with an old date, or deleted), so the pager steps back one page and reads it
///   again rather than risk a gap;
/// - groups are delivered once, by `grpid`;
/// - a hard cap on pages stops a server that never ends.
///
/// ```
/// use wbs_model::UserId;
/// use wbs_proto::{GetMeas, MeasurePager};
///
/// let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
/// let call = pager.next_call().unwrap();
/// assert_eq!(call.offset, None);
/// let body = br#"{"status":0,"body":{"updatetime":1249409679,"more":0,"measuregrps":[
///     {"grpid":2909,"attrib":0,"date":1222930968,"category":1,"measures":[]}]}}"#;
/// let groups = pager.handle_response(http::StatusCode::OK, body).unwrap();
/// assert_eq!(groups.len(), 1);
/// assert!(pager.is_done());
/// ```
#[derive(Clone)]
pub struct MeasurePager {
    query: GetMeas,
    start: u64,
    position: u64,
    anchor: Option<GroupId>,
    seen: HashSet<GroupId>,
    updatetime: Option<Timestamp>,
    pages: u32,
    max_pages: u32,
    rewinds: u32,
    done: bool,
    skipped: Vec<SkippedGroup>,
}

impl fmt::Debug for MeasurePager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeasurePager")
            .field("query", &self.query)
            .field("position", &self.position)
            .field("pages", &self.pages)
            .field("delivered", &self.seen.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Why the pager stopped with an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagerError {
    /// The response could not be used; nothing changed, send the same call again (if the
    /// error is transient).
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The server kept saying there is more past the page cap.
    #[error("the server was still sending pages after {0}")]
    TooManyPages(u32),
}

impl MeasurePager {
    /// A pager over a query. Its `offset`, if any, is where to start; its `limit`, if any,
    /// is the page size.
    pub fn new(query: GetMeas) -> Self {
        let start = query.offset.unwrap_or(0);
        Self {
            query,
            start,
            position: start,
            anchor: None,
            seen: HashSet::new(),
            updatetime: None,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            rewinds: 0,
            done: false,
            skipped: Vec::new(),
        }
    }

    /// Another cap on the number of pages.
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The call to send now, or `None` when every page has been read.
    #[must_use]
    pub fn next_call(&self) -> Option<GetMeas> {
        if self.done {
            return None;
        }
        let mut call = self.query.clone();
        let offset = match self.anchor {
            Some(_) => self.position.saturating_sub(1),
            None => self.position,
        };
        call.offset = (offset > 0).then_some(offset);
        if self.anchor.is_some() {
            // The first group of this page is the previous page's last: ask for one more
            // so that a page still brings `limit` new groups (with limit 1 it would bring
            // none). With the server's implicit limit, the overlap costs one group a page.
            call.limit = self.query.limit.map(|l| l.saturating_add(1));
        }
        Some(call)
    }

    /// Decodes a response to [`MeasurePager::next_call`] and returns the groups not
    /// delivered before, newest first.
    pub fn handle_response(
        &mut self,
        status: http::StatusCode,
        body: &[u8],
    ) -> Result<Vec<MeasureGroup>, PagerError> {
        let page = GetMeas::decode(status, body)?;
        self.handle_page(page)
    }

    /// As [`MeasurePager::handle_response`], for a page decoded elsewhere.
    pub fn handle_page(&mut self, decoded: DecodedPage) -> Result<Vec<MeasureGroup>, PagerError> {
        if self.done {
            return Ok(Vec::new());
        }
        if self.pages >= self.max_pages {
            self.done = true;
            return Err(PagerError::TooManyPages(self.pages));
        }
        self.pages += 1;
        let DecodedPage { page, skipped } = decoded;
        if self.updatetime.is_none() {
            self.updatetime = Some(page.updatetime);
            if self.query.enddate.is_none() {
                self.query.enddate = Some(page.updatetime);
            }
        }
        let count = (page.measuregrps.len() + skipped.len()) as u64;
        // The id at each position of the page, skipped groups included.
        let first_id = match skipped.first() {
            Some(s) if s.index == 0 => s.grpid,
            _ => page.measuregrps.first().map(|g| g.grpid),
        };
        let last_id = if skipped.last().is_some_and(|s| s.index as u64 + 1 == count) {
            skipped.last().and_then(|s| s.grpid)
        } else {
            page.measuregrps.last().map(|g| g.grpid)
        };
        let limit = u64::from(self.query.limit.unwrap_or(IMPLICIT_LIMIT));
        let moved = match self.anchor {
            Some(anchor) => first_id != Some(anchor),
            None => false,
        };
        let mut fresh = Vec::with_capacity(page.measuregrps.len());
        for group in page.measuregrps {
            if self.seen.insert(group.grpid) {
                fresh.push(group);
            }
        }
        for s in skipped {
            if !self
                .skipped
                .iter()
                .any(|k| k.grpid.is_some() && k.grpid == s.grpid)
            {
                self.skipped.push(s);
            }
        }
        if moved {
            // The list shifted between pages: read again from one page back.
            self.rewinds += 1;
            self.position = self
                .position
                .saturating_sub(1)
                .saturating_sub(limit)
                .max(self.start);
            self.anchor = None;
            return Ok(fresh);
        }
        let new_positions = if self.anchor.is_some() {
            count.saturating_sub(1)
        } else {
            count
        };
        self.position += new_positions;
        self.anchor = last_id.or(self.anchor);
        if count == 0 || !page.more.has_more() || new_positions == 0 {
            self.done = true;
        }
        Ok(fresh)
    }

    /// Whether every page has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The first page's `updatetime`: where the next synchronisation starts.
    pub fn updatetime(&self) -> Option<Timestamp> {
        self.updatetime
    }

    /// Malformed groups left out so far.
    pub fn skipped(&self) -> &[SkippedGroup] {
        &self.skipped
    }

    /// Pages read so far (re-reads after a shift included).
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Groups delivered so far.
    pub fn delivered(&self) -> usize {
        self.seen.len()
    }

    /// How often the list moved between pages and a page was read again.
    pub fn rewinds(&self) -> u32 {
        self.rewinds
    }
}

/// Where the next incremental synchronisation of a user starts. Serialise it to keep it
/// between runs.
///
/// ```
/// use wbs_model::{Timestamp, UserId};
/// use wbs_proto::SyncCursor;
///
/// let first = SyncCursor::new(UserId::new(29));
/// assert_eq!(first.pager().next_call().unwrap().lastupdate, None); // everything, the first time
/// let later = SyncCursor { lastupdate: Some(Timestamp::from_secs(1249409679)), ..first };
/// assert_eq!(later.pager().next_call().unwrap().lastupdate, Some(Timestamp::from_secs(1249409679)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// The user.
    pub userid: UserId,
    /// The `updatetime` of the last complete synchronisation; `None` fetches everything.
    #[serde(default)]
    pub lastupdate: Option<Timestamp>,
}

impl SyncCursor {
    /// A cursor that has never synchronised.
    pub fn new(userid: UserId) -> Self {
        Self {
            userid,
            lastupdate: None,
        }
    }

    /// A pager over the groups added or modified since the last synchronisation.
    pub fn pager(&self) -> MeasurePager {
        let mut query = GetMeas::new(self.userid);
        query.lastupdate = self.lastupdate;
        MeasurePager::new(query)
    }

    /// The cursor after a pager has finished (`None` while it has not: keep the old
    /// cursor then, so an interrupted sync is simply run again).
    pub fn advanced(&self, pager: &MeasurePager) -> Option<Self> {
        if !pager.is_done() {
            return None;
        }
        Some(Self {
            userid: self.userid,
            lastupdate: pager.updatetime().or(self.lastupdate),
        })
    }
}
