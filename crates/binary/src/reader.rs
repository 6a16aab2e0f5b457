//! A cursor over the module's bytes: LEB128 integers with the spec's length and overflow rules,
//! floats, names and byte vectors. Nothing here allocates.

use crate::error::{DecodeError, Result};

/// Reads primitive values from a byte slice that starts at `base` in the whole module.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte lies at offset `base` in the module.
    pub fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    /// Offset in the module of the next byte to read.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Whether every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes not read yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The unread rest of the input.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// An error at the current offset.
    pub fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError::new(message, self.offset())
    }

    fn eof(&self) -> DecodeError {
        self.error("unexpected end of section or function")
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof()),
        }
    }

    /// The next byte without consuming it.
    #[inline]
    pub fn peek_u8(&self) -> Result<u8> {
        self.data.get(self.pos).copied().ok_or_else(|| self.eof())
    }

    /// `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.eof());
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A fixed-size array of raw bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        if N > self.remaining() {
            return Err(self.eof());
        }
        let mut out = [0; N];
        out.copy_from_slice(&self.data[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    /// An unsigned LEB128 integer of at most `bits` bits.
    #[inline]
    fn uleb(&mut self, bits: u32) -> Result<u64> {
        let mut result: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.u8()?;
            let payload = u64::from(byte & 0x7f);
            let left = bits - shift; // bits still unfilled
            if left < 7 {
                // Last byte allowed: continuation bit and unused high bits must be zero.
                if byte & 0x80 != 0 {
                    return Err(self.error("integer representation too long"));
                }
                if payload >> left != 0 {
                    return Err(self.error("integer too large"));
                }
            }
            result |= payload << shift;
            if byte & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
        }
    }

    /// A signed LEB128 integer of at most `bits` bits.
    fn sleb(&mut self, bits: u32) -> Result<i64> {
        let mut result: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.u8()?;
            let left = bits - shift;
            if left < 7 {
                if byte & 0x80 != 0 {
                    return Err(self.error("integer representation too long"));
                }
                // The sign bit and the unused bits above it must all be equal.
                let mask = (0x7f >> (left - 1)) << (left - 1);
                let high = byte & mask;
                if high != 0 && high != mask {
                    return Err(self.error("integer too large"));
                }
            }
            result |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    result |= -1i64 << shift;
                }
                return Ok(result);
            }
        }
    }

    /// An unsigned 32-bit LEB128 integer.
    #[inline]
    pub fn u32(&mut self) -> Result<u32> {
        // Fast path: one byte.
        if let Some(&b) = self.data.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u32::from(b));
            }
        }
        self.uleb(32).map(|v| v as u32)
    }

    /// An unsigned 64-bit LEB128 integer (memory64's limits and offsets).
    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        self.uleb(64)
    }

    /// A signed 32-bit LEB128 integer.
    #[inline]
    pub fn i32(&mut self) -> Result<i32> {
        if let Some(v) = self.one_byte_signed() {
            return Ok(v as i32);
        }
        self.sleb(32).map(|v| v as i32)
    }

    /// Fast path for a one-byte signed LEB128 integer.
    #[inline]
    fn one_byte_signed(&mut self) -> Option<i64> {
        let b = *self.data.get(self.pos)?;
        if b >= 0x80 {
            return None;
        }
        self.pos += 1;
        // Sign-extend the 7-bit payload.
        Some(i64::from((b << 1) as i8 >> 1))
    }

    /// A signed 33-bit LEB128 integer (block types).
    pub fn s33(&mut self) -> Result<i64> {
        self.sleb(33)
    }

    /// A signed 64-bit LEB128 integer.
    #[inline]
    pub fn i64(&mut self) -> Result<i64> {
        if let Some(v) = self.one_byte_signed() {
            return Ok(v);
        }
        self.sleb(64)
    }

    /// The bits of a little-endian f32.
    pub fn f32_bits(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// The bits of a little-endian f64.
    pub fn f64_bits(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length-prefixed byte vector.
    pub fn byte_vec(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    /// A name: a length-prefixed UTF-8 string.
    pub fn name(&mut self) -> Result<&'a str> {
        let at = self.offset();
        let n = self.u32()? as usize;
        if n > self.remaining() {
            return Err(DecodeError::new("length out of bounds", at));
        }
        let bytes = self.bytes(n)?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::new("malformed UTF-8 encoding", at))
    }

    /// A sub-reader over the next `n` bytes, which are consumed from this one.
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>> {
        let base = self.offset();
        let data = self.bytes(n)?;
        Ok(Reader::new(data, base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_of(bytes: &[u8]) -> Result<u32> {
        Reader::new(bytes, 0).u32()
    }
    fn i32_of(bytes: &[u8]) -> Result<i32> {
        Reader::new(bytes, 0).i32()
    }
    fn i64_of(bytes: &[u8]) -> Result<i64> {
        Reader::new(bytes, 0).i64()
    }

    #[test]
    fn unsigned_leb() {
        assert_eq!(u32_of(&[0x00]).unwrap(), 0);
        assert_eq!(u32_of(&[0xe5, 0x8e, 0x26]).unwrap(), 624485);
        assert_eq!(u32_of(&[0x80, 0x80, 0x80, 0x80, 0x00]).unwrap(), 0);
        assert_eq!(u32_of(&[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap(), u32::MAX);
        assert_eq!(
            u32_of(&[0xff, 0xff, 0xff, 0xff, 0x1f]).unwrap_err().message,
            "integer too large"
        );
        assert_eq!(
            u32_of(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
                .unwrap_err()
                .message,
            "integer representation too long"
        );
        assert_eq!(
            u32_of(&[0x80]).unwrap_err().message,
            "unexpected end of section or function"
        );
    }

    #[test]
    fn signed_leb() {
        assert_eq!(i32_of(&[0x7f]).unwrap(), -1);
        assert_eq!(i32_of(&[0x3f]).unwrap(), 63);
        assert_eq!(i32_of(&[0xc0, 0xbb, 0x78]).unwrap(), -123456);
        assert_eq!(i32_of(&[0x80, 0x80, 0x80, 0x80, 0x78]).unwrap(), i32::MIN);
        assert_eq!(i32_of(&[0xff, 0xff, 0xff, 0xff, 0x07]).unwrap(), i32::MAX);
        assert_eq!(i32_of(&[0xff, 0xff, 0xff, 0xff, 0x7f]).unwrap(), -1);
        assert_eq!(
            i32_of(&[0xff, 0xff, 0xff, 0xff, 0x4f]).unwrap_err().message,
            "integer too large"
        );
        assert_eq!(
            i32_of(&[0x80, 0x80, 0x80, 0x80, 0x08]).unwrap_err().message,
            "integer too large"
        );
        assert_eq!(
            i32_of(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
                .unwrap_err()
                .message,
            "integer representation too long"
        );
        assert_eq!(i64_of(&[0x7f]).unwrap(), -1);
        let min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
        assert_eq!(i64_of(&min).unwrap(), i64::MIN);
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
        assert_eq!(i64_of(&max).unwrap(), i64::MAX);
        let bad = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(i64_of(&bad).unwrap_err().message, "integer too large");
    }

    #[test]
    fn s33_block_types() {
        assert_eq!(Reader::new(&[0x40], 0).s33().unwrap(), -64);
        let max = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(Reader::new(&max, 0).s33().unwrap(), 0xffff_ffff);
    }

    #[test]
    fn names_must_be_utf8() {
        assert_eq!(Reader::new(&[2, b'h', b'i'], 0).name().unwrap(), "hi");
        let e = Reader::new(&[1, 0xff], 0).name().unwrap_err();
        assert_eq!(e.message, "malformed UTF-8 encoding");
        let e = Reader::new(&[5, b'h'], 0).name().unwrap_err();
        assert_eq!(e.message, "length out of bounds");
    }
}
