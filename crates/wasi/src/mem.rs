//! Checked access to the guest's linear memory: every pointer and length the guest passes is
//! bounds-checked here, and a bad one is `EFAULT`, never a host panic.

use crate::errno::{Errno, WasiResult};

/// The most buffers one read or write hands to the host (Linux's `IOV_MAX`): host memory for
/// them stays bounded however many the guest passes.
pub const MAX_IOVECS: usize = 1024;

/// The guest's memory 0 during one WASI call.
pub struct Mem<'a>(pub &'a mut [u8]);

impl Mem<'_> {
    /// `len` bytes at `ptr`.
    pub fn bytes(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let start = ptr as usize;
        self.0.get(start..start + len as usize).ok_or(Errno::Fault)
    }

    /// `len` bytes at `ptr`, mutably.
    pub fn bytes_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let start = ptr as usize;
        self.0
            .get_mut(start..start + len as usize)
            .ok_or(Errno::Fault)
    }

    /// A guest string (WASI strings are UTF-8, not NUL-terminated).
    pub fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.bytes(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    pub fn u32(&self, ptr: u32) -> WasiResult<u32> {
        let b = self.bytes(ptr, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&self, ptr: u32) -> WasiResult<u64> {
        let b = self.bytes(ptr, 8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub fn u16(&self, ptr: u32) -> WasiResult<u16> {
        let b = self.bytes(ptr, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.bytes(ptr, 1)?[0])
    }

    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> WasiResult {
        self.bytes_mut(ptr, bytes.len() as u32)?
            .copy_from_slice(bytes);
        Ok(())
    }

    pub fn set_u32(&mut self, ptr: u32, v: u32) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn set_u64(&mut self, ptr: u32, v: u64) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The (pointer, length) pairs of the non-empty buffers of an iovec array of `count` entries
    /// at `ptr`, at most the first [`MAX_IOVECS`] of them (a read or write may always do less
    /// than asked). Every entry is checked to lie in memory, and their total length must fit
    /// in a `u32` or the call is `EINVAL`.
    pub fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let table = self.bytes(ptr, count.checked_mul(8).ok_or(Errno::Fault)?)?;
        let mut total: u32 = 0;
        let mut out = Vec::new();
        for entry in table.chunks_exact(8) {
            let buf = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let len = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
            self.bytes(buf, len)?;
            total = total.checked_add(len).ok_or(Errno::Inval)?;
            if len > 0 && out.len() < MAX_IOVECS {
                out.push((buf, len));
            }
        }
        Ok(out)
    }

    /// The guest buffers of `iovecs` (already checked), for a gathering write.
    pub fn gather(&self, iovecs: &[(u32, u32)]) -> Vec<std::io::IoSlice<'_>> {
        iovecs
            .iter()
            .map(|&(p, l)| std::io::IoSlice::new(&self.0[p as usize..p as usize + l as usize]))
            .collect()
    }

    /// Copies `data` into the guest buffers of `iovecs` (already checked), in order.
    pub fn scatter(&mut self, iovecs: &[(u32, u32)], mut data: &[u8]) {
        for &(p, l) in iovecs {
            let n = (l as usize).min(data.len());
            self.0[p as usize..p as usize + n].copy_from_slice(&data[..n]);
            data = &data[n..];
            if data.is_empty() {
                break;
            }
        }
    }
}

/// Cuts the buffers `iovecs` to `max` bytes in all (a write that may do only part of its work).
pub fn cut(iovecs: &mut Vec<(u32, u32)>, max: u64) {
    let mut left = max;
    iovecs.retain_mut(|(_, len)| {
        let keep = u64::from(*len).min(left);
        left -= keep;
        *len = keep as u32;
        keep > 0
    });
}
