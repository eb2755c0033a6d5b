//! `Lists`: one list of items per node (children per span, backlinks per span, linked traces per
//! trace), laid out once as compressed rows and able to grow afterwards (`Index::extend`).
//!
//! A build fills every list in one counting pass (`from_pairs`): 4 bytes a node plus the items,
//! and a lookup is two loads. A list that changes after that moves to the end of `items` with
//! room to spare (doubling, so a hub that gains a thousand backlinks one at a time is copied about
//! ten times) and is found through `grown`; the rows it left are dead space until `compact`.

use rustc_hash::FxHashMap;

/// Where a grown list lives in `items`.
#[derive(Clone, Copy, Debug)]
struct Grown {
    start: u32,
    len: u32,
    cap: u32,
}

#[derive(Debug, Default)]
pub(super) struct Lists<T> {
    /// The rows laid out by the build: node `i`'s items are `items[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    items: Vec<T>,
    /// Lists changed since the build (and lists of nodes added since), by node.
    grown: FxHashMap<u32, Grown>,
    /// Rows of `items` that lists moved away from (kept up as they move, so deciding whether to
    /// compact costs nothing per batch).
    dead: usize,
}

fn to_u32(n: usize) -> u32 {
    // Items are spans, links or trace pairs, each far below 4 G (see `Dataset`'s slices).
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<T: Copy + Default> Lists<T> {
    /// Builds from (node, item) pairs in one counting pass; items keep their input order.
    pub fn from_pairs(nodes: usize, pairs: impl Iterator<Item = (usize, T)> + Clone) -> Self {
        let mut starts = vec![0u32; nodes + 1];
        for (n, _) in pairs.clone() {
            starts[n + 1] += 1;
        }
        for i in 0..nodes {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut items = vec![T::default(); starts[nodes] as usize];
        for (n, item) in pairs {
            items[fill[n] as usize] = item;
            fill[n] += 1;
        }
        Self { starts, items, grown: FxHashMap::default(), dead: 0 }
    }

    fn place(&self, i: usize) -> Grown {
        if !self.grown.is_empty()
            && let Some(&g) = self.grown.get(&to_u32(i))
        {
            return g;
        }
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&start), Some(&end)) => Grown { start, len: end - start, cap: end - start },
            _ => Grown { start: 0, len: 0, cap: 0 },
        }
    }

    pub fn get(&self, i: usize) -> &[T] {
        let g = self.place(i);
        &self.items[g.start as usize..(g.start + g.len) as usize]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut [T] {
        let g = self.place(i);
        &mut self.items[g.start as usize..(g.start + g.len) as usize]
    }

    /// Inserts `item` at `pos` (at most the list's length) in node `i`'s list.
    pub fn insert(&mut self, i: usize, pos: usize, item: T) {
        let mut g = self.place(i);
        if g.len == g.cap {
            let cap = (g.cap * 2).max(4);
            let start = self.items.len();
            self.dead += g.cap as usize;
            self.items.extend_from_within(g.start as usize..(g.start + g.len) as usize);
            self.items.resize(start + cap as usize, T::default());
            g = Grown { start: to_u32(start), len: g.len, cap };
        }
        let (start, len) = (g.start as usize, g.len as usize);
        self.items.copy_within(start + pos..start + len, start + pos + 1);
        self.items[start + pos] = item;
        self.grown.insert(to_u32(i), Grown { len: g.len + 1, ..g });
    }

    /// Removes the item at `pos` from node `i`'s list.
    pub fn remove(&mut self, i: usize, pos: usize) {
        let g = self.place(i);
        let (start, len) = (g.start as usize, g.len as usize);
        if pos >= len {
            return;
        }
        self.items.copy_within(start + pos + 1..start + len, start + pos);
        self.grown.insert(to_u32(i), Grown { len: g.len - 1, ..g });
    }

    /// Lays every list out again in node order, dropping the dead rows growth left behind; the
    /// index calls it when they outweigh the live ones.
    pub fn compact(&mut self, nodes: usize) {
        let mut starts = Vec::with_capacity(nodes + 1);
        let mut items = Vec::with_capacity(self.live());
        for i in 0..nodes {
            starts.push(to_u32(items.len()));
            items.extend_from_slice(self.get(i));
        }
        starts.push(to_u32(items.len()));
        *self = Self { starts, items, grown: FxHashMap::default(), dead: 0 };
    }

    /// Items in use (what `compact` would keep) against what `items` holds.
    fn live(&self) -> usize {
        let built = self.starts.last().copied().unwrap_or(0) as usize;
        // A grown list replaced its built row (if it had one): count the new length instead.
        let mut live = built;
        for (&i, g) in &self.grown {
            let i = i as usize;
            if i + 1 < self.starts.len() {
                live -= (self.starts[i + 1] - self.starts[i]) as usize;
            }
            live += g.len as usize;
        }
        live
    }

    /// Whether dead rows outweigh the rest (and are worth a pass over everything).
    pub fn wasteful(&self) -> bool {
        self.items.len() > 4096 && self.dead > self.items.len() / 2
    }

    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.starts.capacity() * size_of::<u32>()
            + self.items.capacity() * size_of::<T>()
            + self.grown.capacity() * (size_of::<(u32, Grown)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_lists_grow_shrink_and_compact_to_the_same_contents() {
        let mut l = Lists::from_pairs(3, [(0, 1u32), (2, 5), (0, 2)].into_iter());
        assert_eq!((l.get(0), l.get(1), l.get(2), l.get(7)), (&[1, 2][..], &[][..], &[5][..], &[][..]));
        for k in 0..100 {
            l.insert(1, k as usize, k);
        }
        l.insert(0, 1, 9);
        l.insert(7, 0, 70);
        l.remove(2, 0);
        l.remove(2, 0);
        assert_eq!(l.get(0), &[1, 9, 2]);
        assert_eq!(l.get(1), (0..100).collect::<Vec<_>>().as_slice());
        assert!(l.get(2).is_empty());
        assert_eq!(l.get(7), &[70]);
        assert_eq!(l.live(), 104);
        let before: Vec<Vec<u32>> = (0..8).map(|i| l.get(i).to_vec()).collect();
        l.compact(8);
        assert!(l.grown.is_empty());
        assert_eq!((0..8).map(|i| l.get(i).to_vec()).collect::<Vec<_>>(), before);
        assert_eq!(l.items.len(), 104);
    }
}
