//! Ticket listing: time windows, the `dd/MM/yyyy HH:mm:ss:ff` date format, `paging.next`, and
//! de-duplication across pages and windows.

use std::collections::{HashSet, VecDeque};
use std::ops::Range;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Datelike, Months, TimeDelta, Timelike, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::client::{Department, host_label};
use crate::error::{Error, Result};
use crate::models::{SortOrder, Ticket, TicketPage, TicketState};

const ENDPOINT: &str = "GET /tickets/list";

/// Default window length of a listing.
pub const DEFAULT_WINDOW: TimeDelta = TimeDelta::days(7);

/// What to list: a date range (UTC) with optional filters.
///
/// A ticket is in the range if its `open`, `close` or `lastActivity` falls in `[since, until)`.
/// Build it from a range (`since..until`) or with [`TicketQuery::new`].
#[derive(Clone, Debug, PartialEq)]
pub struct TicketQuery {
    /// Start of the range (inclusive).
    pub since: DateTime<Utc>,
    /// End of the range (exclusive).
    pub until: DateTime<Utc>,
    /// Window length (default 7 days; at least 1 s; a window never spans more than one
    /// calendar month, as Glassix refuses longer ones).
    pub window: TimeDelta,
    /// Only these states (`ticketState`); empty = all.
    pub states: Vec<TicketState>,
    /// Order within each window (`sortOrder`); Glassix's default is ascending by open time.
    pub sort: Option<SortOrder>,
}

impl TicketQuery {
    /// All tickets of `[since, until)`.
    pub fn new(since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        TicketQuery {
            since,
            until,
            window: DEFAULT_WINDOW,
            states: Vec::new(),
            sort: None,
        }
    }

    /// Set the window length.
    pub fn window(mut self, window: TimeDelta) -> Self {
        self.window = window;
        self
    }

    /// Only tickets in these states.
    pub fn states(mut self, states: impl IntoIterator<Item = TicketState>) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Set the order.
    pub fn sort(mut self, sort: SortOrder) -> Self {
        self.sort = Some(sort);
        self
    }

    /// The windows the range is walked in, in order. Bounds are aligned to hundredths of a
    /// second (the wire precision): `since` rounded down, `until` rounded up.
    pub fn windows(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let start = floor_centis(self.since);
        let end = ceil_centis(self.until);
        let step = floor_delta_centis(self.window.max(TimeDelta::seconds(1)));
        let mut out = Vec::new();
        let mut cur = start;
        while cur < end {
            let mut next = cur.checked_add_signed(step).unwrap_or(end).min(end);
            if let Some(month) = cur.checked_add_months(Months::new(1)) {
                next = next.min(month);
            }
            out.push((cur, next));
            cur = next;
        }
        out
    }
}

impl From<Range<DateTime<Utc>>> for TicketQuery {
    fn from(r: Range<DateTime<Utc>>) -> Self {
        TicketQuery::new(r.start, r.end)
    }
}

fn floor_centis(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond() % 1_000_000_000;
    t.with_nanosecond(nanos - nanos % 10_000_000).unwrap_or(t)
}

fn ceil_centis(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_centis(t);
    if floor == t {
        t
    } else {
        // At the very end of chrono's range there is no next hundredth: keep the floor.
        floor
            .checked_add_signed(TimeDelta::milliseconds(10))
            .unwrap_or(floor)
    }
}

fn floor_delta_centis(d: TimeDelta) -> TimeDelta {
    let ms = d.num_milliseconds();
    TimeDelta::milliseconds(ms - ms % 10)
}

/// Format a time the way `tickets/list` wants it: `dd/MM/yyyy HH:mm:ss:ff` (UTC, `ff` =
/// hundredths of a second).
pub fn format_list_date(t: DateTime<Utc>) -> String {
    let centis = (t.nanosecond() % 1_000_000_000) / 10_000_000;
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}:{:02}",
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        centis
    )
}

/// Percent-encode everything but unreserved characters (so a space is `%20`, `/` is `%2F`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn first_page_url(
    dept: &Department,
    q: &TicketQuery,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Url> {
    let mut url = dept.inner.endpoint_url("tickets/list")?;
    let enc = |s: &str| utf8_percent_encode(s, QUERY_VALUE).to_string();
    let mut query = format!(
        "since={}&until={}",
        enc(&format_list_date(since)),
        enc(&format_list_date(until))
    );
    if !q.states.is_empty() {
        let states: Vec<&str> = q.states.iter().map(TicketState::as_str).collect();
        query.push_str(&format!("&ticketState={}", enc(&states.join(","))));
    }
    if let Some(sort) = &q.sort {
        query.push_str(&format!("&sortOrder={}", enc(sort.as_str())));
    }
    url.set_query(Some(&query));
    Ok(url)
}

enum PageRef {
    First,
    Next(Url),
}

struct Cursor {
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    page: PageRef,
    relisted: bool,
}

struct ListState {
    dept: Department,
    query: TicketQuery,
    windows: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
    current: Option<Cursor>,
    buffer: VecDeque<Ticket>,
    seen: HashSet<i64>,
    /// An error met after a page's tickets were queued: yielded once they are out.
    pending_error: Option<Error>,
    finished: bool,
}

/// The stream behind [`Department::tickets`].
pub(crate) fn ticket_stream(
    dept: Department,
    query: TicketQuery,
) -> BoxStream<'static, Result<Ticket>> {
    let state = ListState {
        windows: query.windows().into(),
        dept,
        query,
        current: None,
        buffer: VecDeque::new(),
        seen: HashSet::new(),
        pending_error: None,
        finished: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        s.next_ticket().await.map(|item| (item, s))
    })
    .boxed()
}

impl ListState {
    async fn next_ticket(&mut self) -> Option<Result<Ticket>> {
        loop {
            if let Some(t) = self.buffer.pop_front() {
                return Some(Ok(t));
            }
            if let Some(e) = self.pending_error.take() {
                self.finished = true;
                return Some(Err(e));
            }
            if self.finished {
                return None;
            }
            let cursor = match self.current.take() {
                Some(c) => c,
                None => {
                    let (since, until) = self.windows.pop_front()?;
                    Cursor {
                        since,
                        until,
                        page: PageRef::First,
                        relisted: false,
                    }
                }
            };
            match self.fetch(&cursor).await {
                Ok(page) => {
                    if let Err(e) = self.absorb(page, cursor) {
                        self.pending_error = Some(e);
                    }
                }
                Err(e)
                    if matches!(cursor.page, PageRef::Next(_))
                        && e.status() == Some(400)
                        && !cursor.relisted =>
                {
                    // A paging token that expired (or was refused): list the window again from
                    // its start, once. De-duplication by id makes the repeat harmless.
                    tracing::warn!(window_since = %cursor.since, error = %e, "glassix: paging.next refused, re-listing the window once");
                    self.dept
                        .state
                        .listing
                        .relisted_windows
                        .fetch_add(1, Ordering::Relaxed);
                    self.current = Some(Cursor {
                        page: PageRef::First,
                        relisted: true,
                        ..cursor
                    });
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
    }

    async fn fetch(&self, cursor: &Cursor) -> Result<TicketPage> {
        let url = match &cursor.page {
            PageRef::First => first_page_url(&self.dept, &self.query, cursor.since, cursor.until)?,
            PageRef::Next(u) => u.clone(),
        };
        let record = format!(
            "the window {} – {}",
            format_list_date(cursor.since),
            format_list_date(cursor.until)
        );
        let req = self.dept.api_get(ENDPOINT, url, Some(record));
        self.dept.inner.get_json(&req).await
    }

    /// Queue the page's unseen tickets and move the cursor to the next page, if any.
    fn absorb(&mut self, page: TicketPage, cursor: Cursor) -> Result<()> {
        let counters = &self.dept.state.listing;
        counters.pages.fetch_add(1, Ordering::Relaxed);
        let next = page.next().map(str::to_owned);
        for t in page.tickets {
            if self.seen.insert(t.id) {
                counters.tickets.fetch_add(1, Ordering::Relaxed);
                self.buffer.push_back(t);
            } else {
                counters.duplicates.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(
                    ticket = t.id,
                    "glassix: ticket listed again, first copy kept"
                );
            }
        }
        if let Some(raw) = next {
            let url = Url::parse(&raw).map_err(|e| Error::InvalidUrl {
                context: "paging.next".to_owned(),
                message: e.to_string(),
            })?;
            if !self.dept.inner.same_host(&url) {
                return Err(Error::ForeignHost {
                    expected: self.dept.inner.host_label(),
                    found: host_label(&url),
                });
            }
            self.current = Some(Cursor {
                page: PageRef::Next(url),
                ..cursor
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_ending_at_the_end_of_time_does_not_overflow() {
        let end = DateTime::<Utc>::MAX_UTC;
        let q = TicketQuery::new(end - TimeDelta::days(1), end);
        let w = q.windows();
        assert_eq!(w.len(), 1);
        assert!(w[0].1 <= end);
    }
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn list_dates_use_hundredths() {
        let t = Utc.with_ymd_and_hms(2025, 3, 1, 7, 5, 9).unwrap() + TimeDelta::milliseconds(678);
        assert_eq!(format_list_date(t), "01/03/2025 07:05:09:67");
        assert_eq!(format_list_date(utc(2025, 3, 8)), "08/03/2025 00:00:00:00");
    }

    #[test]
    fn windows_cover_the_range_without_gaps() {
        let q = TicketQuery::new(utc(2025, 3, 1), utc(2025, 3, 20));
        let w = q.windows();
        assert_eq!(
            w,
            vec![
                (utc(2025, 3, 1), utc(2025, 3, 8)),
                (utc(2025, 3, 8), utc(2025, 3, 15)),
                (utc(2025, 3, 15), utc(2025, 3, 20)),
            ]
        );
    }

    #[test]
    fn windows_never_exceed_a_calendar_month() {
        let q = TicketQuery::new(utc(2025, 1, 31), utc(2025, 6, 1)).window(TimeDelta::days(45));
        for (s, e) in q.windows() {
            assert!(
                e <= s.checked_add_months(Months::new(1)).unwrap(),
                "{s} – {e}"
            );
        }
        assert_eq!(q.windows()[0], (utc(2025, 1, 31), utc(2025, 2, 28)));
        assert_eq!(q.windows().last().unwrap().1, utc(2025, 6, 1));
    }

    #[test]
    fn bounds_align_to_hundredths_and_empty_ranges_have_no_windows() {
        let since = utc(2025, 3, 1) + TimeDelta::microseconds(12_345);
        let until = utc(2025, 3, 2) + TimeDelta::microseconds(1);
        let w = TicketQuery::new(since, until).windows();
        assert_eq!(w[0].0, utc(2025, 3, 1) + TimeDelta::milliseconds(10));
        assert_eq!(
            w.last().unwrap().1,
            utc(2025, 3, 2) + TimeDelta::milliseconds(10)
        );
        assert!(
            TicketQuery::new(utc(2025, 3, 2), utc(2025, 3, 1))
                .windows()
                .is_empty()
        );
    }
}
