//! Pagination of getmeas, and incremental synchronisation.

use std::collections::HashSet;

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

/// Fetches every group of a getmeas query, page after page, each group exactly once, in
/// about one request per page however the data changes meanwhile.
///
/// Driven from outside: ask [`MeasurePager::next_call`] what to send, send it, hand the
/// answer to [`MeasurePager::handle_response`]; repeat until it says done. A failed page
/// changes nothing: send the same call again.
///
/// It walks a date cursor, as the reference allows: groups are "always delivered from the
/// newest to the oldest one" and `enddate` is inclusive. After each page, the next call asks
/// for `enddate` = the date of the oldest group received, with `offset` = how many groups
/// at exactly that date were received, less one: one group of overlap, so that deleting the
/// last group received (which would shift the unseen part up by one) costs nothing. So:
/// - a change among groups already received (a deleted weighing, an edit) cannot move the
///   unseen part: no loss, no extra request; groups are delivered once, by `grpid`;
/// - a change among groups not yet received is simply seen or not, as the service answers;
/// - many groups at one date, more than a page holds, page through the offset; if two or
///   received groups at the cursor's very date change between pages (the overlap then
///   does not show the last group received first), the pager reads that date again;
/// - the first page pins `updatetime` (the next sync's `lastupdate`);
/// - a hard cap on pages stops a server that never ends, with [`PagerError::TooManyPages`].
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
#[derive(Clone, derive_more::Debug)]
#[debug(
    "MeasurePager {{ query: {query:?}, cursor: {cursor:?}, pages: {pages}, delivered: {}, done: {done}, .. }}",
    seen.len()
)]
pub struct MeasurePager {
    query: GetMeas,
    cursor: Option<Cursor>,
    seen: HashSet<GroupId>,
    updatetime: Option<Timestamp>,
    pages: u32,
    max_pages: u32,
    rewinds: u32,
    done: bool,
    complete: bool,
    skipped: Vec<SkippedGroup>,
    /// How many of `skipped` were handed out by `take_new_skipped`.
    reported: usize,
    /// Malformed groups left out before the checkpoint this pager resumed from.
    prior_skipped: u32,
}

/// Where the next page starts: the first `consumed` entries of the service's list of groups
/// dated `enddate` or earlier (the query's end date when `None`) are received, the last of
/// them `anchor` (a malformed entry's id too, when it has one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    #[serde(default)]
    enddate: Option<Timestamp>,
    consumed: u64,
    #[serde(default)]
    anchor: Option<GroupId>,
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
    /// A pager over a query. Its `offset`, if any, is where the first page starts; its
    /// `limit`, if any, is the page size (a page after the first asks for one more, the
    /// overlap).
    pub fn new(query: GetMeas) -> Self {
        Self {
            query,
            cursor: None,
            seen: HashSet::new(),
            updatetime: None,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            rewinds: 0,
            done: false,
            complete: false,
            skipped: Vec::new(),
            reported: 0,
            prior_skipped: 0,
        }
    }

    /// A pager that goes on where an interrupted one stopped: the same query, from the
    /// [`PagerCheckpoint`] taken after the last page it handed out (and that page's groups
    /// kept). Groups are then delivered once more at most (the one group of overlap), never
    /// fewer. The page cap counts this run's pages: a checkpoint never stops a later run.
    pub fn resume(query: GetMeas, checkpoint: &PagerCheckpoint) -> Self {
        let mut pager = Self::new(query);
        pager.cursor = Some(checkpoint.cursor);
        pager.updatetime = Some(checkpoint.updatetime);
        pager.prior_skipped = checkpoint.skipped;
        pager
    }

    /// Where this pager would resume after an interruption, once a page has been read and
    /// while more remain (`None` before the first page and once done). Keep it together
    /// with the groups delivered so far, atomically, and [`MeasurePager::resume`] from it.
    pub fn checkpoint(&self) -> Option<PagerCheckpoint> {
        if self.done {
            return None;
        }
        Some(PagerCheckpoint {
            updatetime: self.updatetime?,
            cursor: self.cursor?,
            skipped: self.left_out(),
        })
    }

    /// Whether every group of the query has been delivered: the list ended and no malformed
    /// group was left out (before a resumed checkpoint either).
    pub fn is_clean(&self) -> bool {
        self.complete && self.left_out() == 0
    }

    /// How many malformed groups were left out, those before a resumed checkpoint included.
    pub fn left_out(&self) -> u32 {
        let here = u32::try_from(self.skipped.len()).unwrap_or(u32::MAX);
        self.prior_skipped.saturating_add(here)
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
        if let Some(cursor) = self.cursor {
            call.enddate = cursor.enddate.or(self.query.enddate);
            let overlap = u64::from(cursor.consumed > 0);
            let offset = cursor.consumed - overlap;
            call.offset = (offset > 0).then_some(offset);
            // The overlapping group is not new: ask for one more, so that a page still
            // brings `limit` new groups (with limit 1 it would bring none).
            if overlap > 0 {
                call.limit = self.query.limit.map(|l| l.saturating_add(1));
            }
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
        let sent = self.next_call().unwrap_or_else(|| self.query.clone());
        let DecodedPage { page, skipped } = decoded;
        if self.updatetime.is_none() {
            self.updatetime = Some(page.updatetime);
        }
        let entries = page.measuregrps.len() + skipped.len();
        let next = self.next_cursor(&sent, &page.measuregrps, &skipped);
        // The overlap shows whether the groups received at the cursor's date moved: where
        // two or more were received, the first group must be the last one received. If it
        // is not (some were deleted, or a group was added among them), an unseen group may
        // have slipped before the offset: read that date again from its start.
        let first_id = match skipped.first() {
            Some(s) if s.index == 0 => s.grpid,
            _ => page.measuregrps.first().map(|g| g.grpid),
        };
        let shifted = self
            .cursor
            .is_some_and(|c| c.consumed >= 2 && c.anchor.is_some() && first_id != c.anchor);
        let mut fresh = Vec::with_capacity(page.measuregrps.len());
        for group in page.measuregrps {
            if self.seen.insert(group.grpid) {
                fresh.push(group);
            }
        }
        for s in skipped {
            if s.grpid.is_none() || !self.skipped.iter().any(|k| k.grpid == s.grpid) {
                self.skipped.push(s);
            }
        }
        if shifted {
            self.rewinds += 1;
            if let Some(c) = self.cursor.as_mut() {
                c.consumed = 0;
                c.anchor = None;
            }
            return Ok(fresh);
        }
        self.cursor = Some(next);
        // Only the service ends the list: a page that brings nothing new while it says
        // there is more is asked on, up to the page cap.
        if entries == 0 || !page.more.has_more() {
            self.done = true;
            self.complete = true;
        }
        Ok(fresh)
    }

    /// The cursor after a page. Under an unchanged end date, positions are exact: the
    /// page's entries (malformed ones included) follow the offset. Otherwise the cursor
    /// moves to the date of the oldest group received, counting the entries certainly at
    /// that date; malformed entries after that group may be older, and are read again.
    fn next_cursor(
        &self,
        sent: &GetMeas,
        groups: &[MeasureGroup],
        skipped: &[SkippedGroup],
    ) -> Cursor {
        let entries = (groups.len() + skipped.len()) as u64;
        let offset = sent.offset.unwrap_or(0);
        // The last entry's id, malformed or not: the next page's overlap must show it.
        let last_id = match skipped.last() {
            Some(s) if s.index as u64 + 1 == entries => s.grpid,
            _ => groups.last().map(|g| g.grpid),
        };
        let positional = Cursor {
            // Pinned at the first page's `updatetime` when the query has no end date, so
            // that groups measured meanwhile do not move the positions.
            enddate: sent.enddate.or(self.updatetime),
            consumed: offset.saturating_add(entries),
            anchor: last_id,
        };
        let Some(last) = groups.last() else {
            // Nothing datable: count positions under the same end date.
            return positional;
        };
        // The page's entries in order: a group's date, or None for a malformed entry.
        let mut dates = Vec::with_capacity(entries as usize);
        let mut groups_iter = groups.iter();
        let mut skipped_iter = skipped.iter().peekable();
        for index in 0..entries as usize {
            if skipped_iter.peek().is_some_and(|s| s.index == index) {
                skipped_iter.next();
                dates.push(None);
            } else if let Some(g) = groups_iter.next() {
                dates.push(Some(g.date));
            }
        }
        let at = |d: &Option<Timestamp>| *d == Some(last.date);
        let last_index = dates.iter().rposition(at).unwrap_or(0);
        let first_index = dates.iter().position(at).unwrap_or(last_index);
        // The same end date, or a page at one date from its start after an offset (groups
        // at that date may precede the page): stay positional.
        if sent.enddate == Some(last.date) || (first_index == 0 && offset > 0) {
            return positional;
        }
        // A new, older date: the entries from its first group to its last are at it, and
        // no group at it comes before the page (a newer one does, or the list starts here).
        Cursor {
            enddate: Some(last.date),
            consumed: (last_index - first_index + 1) as u64,
            anchor: Some(last.grpid),
        }
    }

    /// Whether the pager has stopped: the list ended, or it hit the page cap.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the list ended as the service says (its last page read): only then has
    /// every group been delivered.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The first page's `updatetime`: where the next synchronisation starts.
    pub fn updatetime(&self) -> Option<Timestamp> {
        self.updatetime
    }

    /// Malformed groups left out so far.
    pub fn skipped(&self) -> &[SkippedGroup] {
        &self.skipped
    }

    /// The malformed groups left out since the last call: what a stream reports as it goes.
    pub fn take_new_skipped(&mut self) -> Vec<SkippedGroup> {
        let new = self.skipped.get(self.reported..).unwrap_or(&[]).to_vec();
        self.reported = self.skipped.len();
        new
    }

    /// Pages read so far (re-reads included).
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Groups delivered so far.
    pub fn delivered(&self) -> usize {
        self.seen.len()
    }

    /// How often the groups received at the cursor's date changed under the pager and that
    /// date was read again.
    pub fn rewinds(&self) -> u32 {
        self.rewinds
    }
}

/// Where an interrupted [`MeasurePager`] resumes: its date cursor, the `updatetime` its
/// first page pinned, and how many malformed groups were left out so far. Serialise
/// it to keep it (see [`SyncCursor::progress`]); its fields are the pager's business.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagerCheckpoint {
    updatetime: Timestamp,
    /// Kept flat: `enddate`, `consumed`, `anchor` beside `updatetime`.
    #[serde(flatten)]
    cursor: Cursor,
    #[serde(default)]
    skipped: u32,
}

/// Where the next incremental synchronisation of a user starts. Serialise it to keep it
/// between runs; keep it after every page ([`SyncCursor::after_page`]), in the same
/// transaction as that page's groups, and an interrupted synchronisation resumes at the
/// next page instead of starting over.
///
/// ```
/// use wbs_model::{Timestamp, UserId};
/// use wbs_proto::SyncCursor;
///
/// let first = SyncCursor::new(UserId::new(29));
/// assert_eq!(first.pager().next_call().unwrap().lastupdate, None); // everything, the first time
/// let later = SyncCursor { lastupdate: Some(Timestamp::from_secs(1249409679)), ..first };
/// // One second of overlap: see `SyncCursor::pager`.
/// assert_eq!(later.pager().next_call().unwrap().lastupdate, Some(Timestamp::from_secs(1249409678)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCursor {
    /// The user.
    pub userid: UserId,
    /// The `updatetime` of the last complete synchronisation; `None` fetches everything.
    #[serde(default)]
    pub lastupdate: Option<Timestamp>,
    /// A synchronisation under way: where it resumes (`None` between synchronisations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<PagerCheckpoint>,
}

impl SyncCursor {
    /// A cursor that has never synchronised.
    pub fn new(userid: UserId) -> Self {
        Self {
            userid,
            lastupdate: None,
            progress: None,
        }
    }

    /// A pager over the groups added or modified since the last synchronisation, resumed
    /// where an interrupted one stopped.
    ///
    /// It asks from one second before `lastupdate`: the service counts time in seconds and
    /// selects what changed *after* `lastupdate`, so a group changed in the very second the
    /// last answer was made, just after it, would otherwise never be fetched. The groups
    /// changed in that second come again; stores upsert them.
    pub fn pager(&self) -> MeasurePager {
        let mut query = GetMeas::new(self.userid);
        query.lastupdate = self.lastupdate.map(|t| t.saturating_add(-1));
        match &self.progress {
            Some(checkpoint) => MeasurePager::resume(query, checkpoint),
            None => MeasurePager::new(query),
        }
    }

    /// The cursor to keep with the groups the pager has delivered so far: finished, the
    /// next synchronisation's cursor (the old `lastupdate` kept if a malformed group was
    /// left out, so that it is fetched again); under way, this one with the pager's
    /// checkpoint; before any page, this one unchanged.
    pub fn after_page(&self, pager: &MeasurePager) -> Self {
        if pager.is_complete() {
            return self.advanced(pager).unwrap_or(Self {
                progress: None,
                ..self.clone()
            });
        }
        match pager.checkpoint() {
            Some(checkpoint) => Self {
                progress: Some(checkpoint),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// The cursor after a pager has finished (`None` while it has not: keep the old
    /// cursor then, so an interrupted sync is simply run again). A pager that left out a
    /// malformed group does not advance the cursor either: the next synchronisation fetches
    /// that group again (once the service sends it whole).
    pub fn advanced(&self, pager: &MeasurePager) -> Option<Self> {
        if !pager.is_clean() {
            return None;
        }
        Some(Self {
            userid: self.userid,
            lastupdate: pager.updatetime().or(self.lastupdate),
            progress: None,
        })
    }
}
