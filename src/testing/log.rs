//! The simulator's bounded logs (requests answered, webhook delivery attempts) and their cursor.

use std::collections::VecDeque;

/// The default number of entries each log keeps: far more than a test makes, small enough that
/// a simulator under load keeps a bounded memory (see
/// [`SimulatorBuilder::log_capacity`](super::SimulatorBuilder::log_capacity)).
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// A position in a simulator log: what a reader has already seen. Start from
/// [`Cursor::default`] (the beginning) and pass back the cursor each call returns (see
/// [`Simulator::requests_since`](super::Simulator::requests_since)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(u64);

impl Cursor {
    /// How many entries were logged before this position, those since evicted included.
    pub fn position(self) -> u64 {
        self.0
    }
}

/// A ring buffer of the last `capacity` entries, counting every entry ever pushed.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    entries: VecDeque<T>,
    capacity: usize,
    /// Entries ever pushed (so the oldest kept has sequence number `pushed - entries.len()`).
    pushed: u64,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Ring {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            pushed: 0,
        }
    }

    pub(crate) fn push(&mut self, entry: T) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
        self.pushed += 1;
    }

    /// Every entry kept, oldest first.
    pub(crate) fn all(&self) -> Vec<T> {
        self.entries.iter().cloned().collect()
    }

    /// Every entry kept, oldest first, without copying.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.entries.iter()
    }

    /// The entries kept that were pushed at or after `cursor`, and the cursor past them. Entries
    /// evicted before they were read are skipped (the returned cursor still counts them).
    pub(crate) fn since(&self, cursor: Cursor) -> (Vec<T>, Cursor) {
        self.page(cursor, usize::MAX)
    }

    /// At most `max` of the entries [`since`](Self::since) returns, oldest first, and the cursor
    /// just past them (the reader loops until a page is empty).
    pub(crate) fn page(&self, cursor: Cursor, max: usize) -> (Vec<T>, Cursor) {
        let oldest = self.pushed - self.entries.len() as u64;
        let skip = cursor
            .0
            .saturating_sub(oldest)
            .min(self.entries.len() as u64) as usize;
        let taken = max.min(self.entries.len() - skip);
        (
            self.entries
                .iter()
                .skip(skip)
                .take(taken)
                .cloned()
                .collect(),
            Cursor(oldest + (skip + taken) as u64),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_capacity_entries_and_counts_every_push() {
        let mut ring = Ring::new(3);
        for i in 0..5 {
            ring.push(i);
        }
        assert_eq!(ring.all(), vec![2, 3, 4]);
        let (all, cursor) = ring.since(Cursor::default());
        assert_eq!(all, vec![2, 3, 4]);
        assert_eq!(cursor.position(), 5);
    }

    #[test]
    fn a_cursor_returns_only_what_is_new() {
        let mut ring = Ring::new(10);
        ring.push("a");
        ring.push("b");
        let (first, cursor) = ring.since(Cursor::default());
        assert_eq!(first, vec!["a", "b"]);
        assert_eq!(ring.since(cursor), (vec![], cursor));
        ring.push("c");
        let (next, after) = ring.since(cursor);
        assert_eq!(next, vec!["c"]);
        assert_eq!(after.position(), 3);
    }

    #[test]
    fn a_reader_that_fell_behind_gets_what_is_left() {
        let mut ring = Ring::new(2);
        ring.push(1);
        let (_, cursor) = ring.since(Cursor::default());
        for i in 2..=5 {
            ring.push(i);
        }
        let (next, after) = ring.since(cursor);
        assert_eq!(next, vec![4, 5]);
        assert_eq!(after.position(), 5);
    }

    #[test]
    fn pages_return_everything_once_in_order_and_skip_what_was_evicted() {
        let mut ring = Ring::new(5);
        for i in 0..8 {
            ring.push(i);
        }
        // 0, 1 and 2 were evicted; pages of 2 give 3..8 and then nothing.
        let mut cursor = Cursor::default();
        let mut pages = Vec::new();
        loop {
            let (page, next) = ring.page(cursor, 2);
            assert!(next >= cursor);
            cursor = next;
            if page.is_empty() {
                break;
            }
            pages.push(page);
        }
        assert_eq!(pages, vec![vec![3, 4], vec![5, 6], vec![7]]);
        assert_eq!(cursor.position(), 8);
        // A page stops where the reader stopped reading: the next one goes on from there.
        ring.push(8);
        let (page, next) = ring.page(Cursor(6), 1);
        assert_eq!((page, next.position()), (vec![6], 7));
        assert_eq!(ring.page(next, 0), (vec![], next));
    }
}
