//! The bytes of a module that are read after load: the bodies, lowered on their first call, and
//! the data segments, copied into memory at each instantiation. A module made with
//! `Module::from_shared` keeps the caller's buffer itself (a module read from a file is then in
//! memory once, not twice); `Module::new` keeps a copy of just the part these need.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A module's bytes, whole or from `base` on.
#[derive(Clone)]
pub(crate) struct ModuleBytes {
    bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    /// The module offset of the first byte held.
    base: usize,
}

impl ModuleBytes {
    /// The whole module, shared with whoever else holds it.
    pub(crate) fn shared(bytes: Arc<dyn AsRef<[u8]> + Send + Sync>) -> ModuleBytes {
        ModuleBytes { bytes, base: 0 }
    }

    /// A copy of the module offsets `range` of `module`.
    pub(crate) fn copied(module: &[u8], range: Range<usize>) -> ModuleBytes {
        ModuleBytes {
            base: range.start,
            bytes: Arc::new(module[range].to_vec()),
        }
    }

    /// The bytes at the module offsets `range`, which must be held.
    pub(crate) fn get(&self, range: Range<usize>) -> &[u8] {
        let held: &[u8] = (*self.bytes).as_ref();
        &held[range.start - self.base..range.end - self.base]
    }
}

impl fmt::Debug for ModuleBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held: &[u8] = (*self.bytes).as_ref();
        write!(f, "{} bytes from offset {}", held.len(), self.base)
    }
}

/// A data segment's bytes: a range of its module's, empty once dropped (`data.drop`, or
/// copied in by instantiation).
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    bytes: ModuleBytes,
    range: Range<usize>,
}

impl Segment {
    pub(crate) fn new(bytes: ModuleBytes, range: Range<usize>) -> Segment {
        Segment { bytes, range }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(self.range.clone())
    }

    pub(crate) fn len(&self) -> usize {
        self.range.len()
    }

    /// Drops the segment: it holds no bytes from now on.
    pub(crate) fn drop_bytes(&mut self) {
        self.range.end = self.range.start;
    }
}

/// The module offset of `part`, a slice of `module`.
pub(crate) fn offset_in(module: &[u8], part: &[u8]) -> usize {
    let at = (part.as_ptr() as usize).wrapping_sub(module.as_ptr() as usize);
    assert!(
        at <= module.len() && part.len() <= module.len() - at,
        "a decoded slice lies inside the module's bytes"
    );
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_bytes_keep_module_offsets() {
        let module: Vec<u8> = (0..100).collect();
        let kept = ModuleBytes::copied(&module, 10..50);
        assert_eq!(kept.get(10..13), &[10, 11, 12]);
        assert_eq!(kept.get(47..50), &[47, 48, 49]);
        let shared = ModuleBytes::shared(Arc::new(module.clone()));
        assert_eq!(shared.get(0..2), &[0, 1]);
    }

    #[test]
    fn a_dropped_segment_is_empty() {
        let module: Vec<u8> = (0..100).collect();
        let mut segment = Segment::new(ModuleBytes::copied(&module, 20..40), 25..30);
        assert_eq!(segment.as_slice(), &[25, 26, 27, 28, 29]);
        assert_eq!(segment.len(), 5);
        segment.drop_bytes();
        assert_eq!(segment.as_slice(), &[] as &[u8]);
        assert_eq!(segment.len(), 0);
    }

    #[test]
    fn offsets_of_slices() {
        let module = [0u8; 16];
        assert_eq!(offset_in(&module, &module[3..7]), 3);
        assert_eq!(offset_in(&module, &module[16..]), 16);
    }
}
