//! Values of `.wast` scripts: `invoke` arguments turned into runtime values, and results compared
//! with what `assert_return` expects (exact bits, NaN patterns, v128 lanes, references).
//!
//! Everything here is pure: no store, no instance.

use ssvm_runtime::Val;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};

/// The runtime value of an `invoke` argument, or why there is none.
pub fn arg_value(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(arg) = arg else {
        return Err("a component-model argument".into());
    };
    Ok(match arg {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(v) => Val::F32(v.bits),
        WastArgCore::F64(v) => Val::F64(v.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(heap) => match null_kind(heap) {
            Some(NullKind::Func) => Val::FuncRef(None),
            Some(NullKind::Extern) => Val::ExternRef(None),
            Some(NullKind::Exn) => Val::ExnRef(None),
            Some(NullKind::Any) => Val::AnyRef(None),
            None => return Err(format!("an argument `ref.null {heap:?}`")),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(*n)),
        WastArgCore::RefHost(n) => return Err(format!("an argument `ref.host {n}`")),
    })
}

/// Which null reference a `ref.null` heap type stands for: the null of one of the four
/// hierarchies of Wasm 3.0's abstract heap types (a null is of its hierarchy, not of a type
/// within it: `(ref.null none)` and `(ref.null any)` are the same value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullKind {
    Func,
    Extern,
    Exn,
    Any,
}

fn null_kind(heap: &HeapType<'_>) -> Option<NullKind> {
    use AbstractHeapType as A;
    let HeapType::Abstract { shared: false, ty } = heap else {
        return None;
    };
    match ty {
        A::Func | A::NoFunc => Some(NullKind::Func),
        A::Extern | A::NoExtern => Some(NullKind::Extern),
        A::Exn | A::NoExn => Some(NullKind::Exn),
        A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => Some(NullKind::Any),
        _ => None,
    }
}

/// The hierarchy of a null runtime value, if `v` is one.
fn null_of(v: &Val) -> Option<NullKind> {
    match v {
        Val::FuncRef(None) => Some(NullKind::Func),
        Val::ExternRef(None) => Some(NullKind::Extern),
        Val::ExnRef(None) => Some(NullKind::Exn),
        Val::AnyRef(None) => Some(NullKind::Any),
        _ => None,
    }
}

/// An `f32` or `f64` expectation: exact bits, or one of the NaN patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatPattern {
    /// Exactly these bits (NaN payloads and the sign of zero included).
    Bits(u64),
    /// `nan:canonical`: a NaN whose payload is only the quiet bit, either sign.
    Canonical,
    /// `nan:arithmetic`: a NaN with the quiet bit set, any other payload, either sign.
    Arithmetic,
}

impl FloatPattern {
    fn of_f32(p: &NanPattern<F32>) -> FloatPattern {
        match p {
            NanPattern::CanonicalNan => FloatPattern::Canonical,
            NanPattern::ArithmeticNan => FloatPattern::Arithmetic,
            NanPattern::Value(v) => FloatPattern::Bits(u64::from(v.bits)),
        }
    }

    fn of_f64(p: &NanPattern<F64>) -> FloatPattern {
        match p {
            NanPattern::CanonicalNan => FloatPattern::Canonical,
            NanPattern::ArithmeticNan => FloatPattern::Arithmetic,
            NanPattern::Value(v) => FloatPattern::Bits(v.bits),
        }
    }

    /// Whether the `f32` with these bits matches.
    pub fn matches_f32(self, bits: u32) -> bool {
        match self {
            FloatPattern::Bits(b) => u64::from(bits) == b,
            FloatPattern::Canonical => bits & 0x7fff_ffff == 0x7fc0_0000,
            FloatPattern::Arithmetic => bits & 0x7fc0_0000 == 0x7fc0_0000,
        }
    }

    /// Whether the `f64` with these bits matches.
    pub fn matches_f64(self, bits: u64) -> bool {
        const QUIET: u64 = 0x7ff8_0000_0000_0000;
        match self {
            FloatPattern::Bits(b) => bits == b,
            FloatPattern::Canonical => bits & 0x7fff_ffff_ffff_ffff == QUIET,
            FloatPattern::Arithmetic => bits & QUIET == QUIET,
        }
    }

    fn describe_f32(self) -> String {
        match self {
            FloatPattern::Bits(b) => float32(b as u32),
            other => format!("f32:{}", other.nan_name()),
        }
    }

    fn describe_f64(self) -> String {
        match self {
            FloatPattern::Bits(b) => float64(b),
            other => format!("f64:{}", other.nan_name()),
        }
    }

    fn nan_name(self) -> &'static str {
        match self {
            FloatPattern::Canonical => "nan:canonical",
            FloatPattern::Arithmetic => "nan:arithmetic",
            FloatPattern::Bits(_) => "bits",
        }
    }
}

fn float32(bits: u32) -> String {
    format!("f32:{} (0x{bits:08x})", f32::from_bits(bits))
}

fn float64(bits: u64) -> String {
    format!("f64:{} (0x{bits:016x})", f64::from_bits(bits))
}

/// Whether `actual` satisfies the `assert_return` expectation `expected`.
///
/// Expectations beyond Wasm 2.0's values (GC references, `ref.host`, component values) never
/// match: [`describe_ret`] names them, so such a failure says what was not understood.
pub fn ret_matches(expected: &WastRet<'_>, actual: &Val) -> bool {
    match expected {
        WastRet::Core(core) => core_matches(core, actual),
        _ => false,
    }
}

fn core_matches(expected: &WastRetCore<'_>, actual: &Val) -> bool {
    match (expected, actual) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(p), Val::F32(bits)) => FloatPattern::of_f32(p).matches_f32(*bits),
        (WastRetCore::F64(p), Val::F64(bits)) => FloatPattern::of_f64(p).matches_f64(*bits),
        (WastRetCore::V128(p), Val::V128(bits)) => v128_matches(p, *bits),
        // `(ref.null)` is any null.
        (WastRetCore::RefNull(None), v) => null_of(v).is_some(),
        (WastRetCore::RefNull(Some(heap)), v) => {
            null_of(v).is_some() && null_of(v) == null_kind(heap)
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(e)), Val::ExternRef(Some(a))) => e == a,
        // The script cannot name a function of the store, so any non-null funcref passes.
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::Either(options), _) => options.iter().any(|e| core_matches(e, actual)),
        _ => false,
    }
}

/// Whether the v128 `bits` (lane 0 in the low bits) match the lane pattern.
pub fn v128_matches(pattern: &V128Pattern, bits: u128) -> bool {
    let bytes = bits.to_le_bytes();
    fn lanes<const N: usize>(bytes: &[u8; 16]) -> impl Iterator<Item = [u8; N]> + '_ {
        bytes
            .chunks_exact(N)
            .map(|c| c.try_into().unwrap_or([0; N]))
    }
    match pattern {
        V128Pattern::I8x16(e) => e.iter().zip(bytes).all(|(e, a)| *e as u8 == a),
        V128Pattern::I16x8(e) => e
            .iter()
            .zip(lanes::<2>(&bytes))
            .all(|(e, a)| *e == i16::from_le_bytes(a)),
        V128Pattern::I32x4(e) => e
            .iter()
            .zip(lanes::<4>(&bytes))
            .all(|(e, a)| *e == i32::from_le_bytes(a)),
        V128Pattern::I64x2(e) => e
            .iter()
            .zip(lanes::<8>(&bytes))
            .all(|(e, a)| *e == i64::from_le_bytes(a)),
        V128Pattern::F32x4(e) => e
            .iter()
            .zip(lanes::<4>(&bytes))
            .all(|(e, a)| FloatPattern::of_f32(e).matches_f32(u32::from_le_bytes(a))),
        V128Pattern::F64x2(e) => e
            .iter()
            .zip(lanes::<8>(&bytes))
            .all(|(e, a)| FloatPattern::of_f64(e).matches_f64(u64::from_le_bytes(a))),
    }
}

/// An `assert_return` expectation in words: `i32:5`, `f32:nan:canonical`, `ref.null func`.
pub fn describe_ret(expected: &WastRet<'_>) -> String {
    match expected {
        WastRet::Core(core) => describe_core(core),
        other => format!("{other:?} (not understood by the runner)"),
    }
}

fn describe_core(expected: &WastRetCore<'_>) -> String {
    match expected {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(p) => FloatPattern::of_f32(p).describe_f32(),
        WastRetCore::F64(p) => FloatPattern::of_f64(p).describe_f64(),
        WastRetCore::V128(p) => describe_v128(p),
        WastRetCore::RefNull(None) => "ref.null".into(),
        WastRetCore::RefNull(Some(heap)) => match null_kind(heap) {
            Some(NullKind::Func) => "ref.null func".into(),
            Some(NullKind::Extern) => "ref.null extern".into(),
            Some(NullKind::Exn) => "ref.null exn".into(),
            Some(NullKind::Any) => "ref.null any".into(),
            None => format!("ref.null {heap:?} (not understood by the runner)"),
        },
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(options) => {
            let options: Vec<String> = options.iter().map(describe_core).collect();
            format!("either({})", options.join(" | "))
        }
        other => format!("{other:?} (not understood by the runner)"),
    }
}

fn describe_v128(p: &V128Pattern) -> String {
    fn list<T>(v: &[T], f: impl Fn(&T) -> String) -> String {
        v.iter().map(f).collect::<Vec<_>>().join(" ")
    }
    let float = |p: &FloatPattern, bits32: bool| match p {
        FloatPattern::Bits(b) if bits32 => format!("0x{b:08x}"),
        FloatPattern::Bits(b) => format!("0x{b:016x}"),
        other => other.nan_name().to_string(),
    };
    match p {
        V128Pattern::I8x16(v) => format!("v128:i8x16 {}", list(v, |x| x.to_string())),
        V128Pattern::I16x8(v) => format!("v128:i16x8 {}", list(v, |x| x.to_string())),
        V128Pattern::I32x4(v) => format!("v128:i32x4 {}", list(v, |x| x.to_string())),
        V128Pattern::I64x2(v) => format!("v128:i64x2 {}", list(v, |x| x.to_string())),
        V128Pattern::F32x4(v) => format!(
            "v128:f32x4 {}",
            list(v, |x| float(&FloatPattern::of_f32(x), true))
        ),
        V128Pattern::F64x2(v) => format!(
            "v128:f64x2 {}",
            list(v, |x| float(&FloatPattern::of_f64(x), false))
        ),
    }
}

/// A runtime value in words, typed: `i32:5`, `f32:1.5 (0x3fc00000)`, `funcref:null`.
pub fn describe_val(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(bits) => float32(*bits),
        Val::F64(bits) => float64(*bits),
        Val::V128(bits) => format!("v128:0x{bits:032x}"),
        Val::FuncRef(None) => "funcref:null".into(),
        Val::ExternRef(None) => "externref:null".into(),
        Val::ExnRef(None) => "exnref:null".into(),
        Val::AnyRef(None) => "anyref:null".into(),
        Val::AnyRef(Some(x)) => match *x {},
        // `Display` prints `funcref:N`, `externref:N` and `exnref:N`.
        Val::FuncRef(Some(_)) | Val::ExternRef(Some(_)) | Val::ExnRef(Some(_)) => v.to_string(),
    }
}

/// A list of values or expectations, comma-separated; `nothing` when empty.
pub fn join(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::parser::{self, ParseBuffer};

    /// The text inside the parentheses, which the directive's parser peels off before
    /// parsing a result or an argument.
    fn inner(text: &str) -> &str {
        text.strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap()
    }

    /// Parses one `assert_return` result, such as `(f32.const nan:canonical)`.
    fn with_ret<R>(text: &str, f: impl FnOnce(&WastRet<'_>) -> R) -> R {
        let buf = ParseBuffer::new(inner(text)).unwrap();
        let ret = parser::parse::<WastRet<'_>>(&buf).unwrap();
        f(&ret)
    }

    fn matches(text: &str, actual: Val) -> bool {
        with_ret(text, |r| ret_matches(r, &actual))
    }

    fn arg(text: &str) -> Result<Val, String> {
        let buf = ParseBuffer::new(inner(text)).unwrap();
        let arg = parser::parse::<WastArg<'_>>(&buf).unwrap();
        arg_value(&arg)
    }

    #[test]
    fn canonical_nan_is_only_the_quiet_bit_with_either_sign() {
        let p = FloatPattern::Canonical;
        assert!(p.matches_f32(0x7fc0_0000));
        assert!(p.matches_f32(0xffc0_0000));
        assert!(!p.matches_f32(0x7fc0_0001));
        assert!(!p.matches_f32(0x7fa0_0000));
        assert!(!p.matches_f32(0x7f80_0000)); // infinity
        assert!(p.matches_f64(0x7ff8_0000_0000_0000));
        assert!(p.matches_f64(0xfff8_0000_0000_0000));
        assert!(!p.matches_f64(0x7ff8_0000_0000_0001));
        assert!(!p.matches_f64(0x7ff0_0000_0000_0001)); // signalling
    }

    #[test]
    fn arithmetic_nan_is_any_quiet_nan() {
        let p = FloatPattern::Arithmetic;
        assert!(p.matches_f32(0x7fc0_0000));
        assert!(p.matches_f32(0xffc0_0001));
        assert!(p.matches_f32(0x7fff_ffff));
        assert!(!p.matches_f32(0x7fa0_0000)); // signalling
        assert!(!p.matches_f32(0x7f80_0000)); // infinity
        assert!(!p.matches_f32(0x3fc0_0000));
        assert!(p.matches_f64(0x7ff8_0000_0000_0000));
        assert!(p.matches_f64(0xfffc_0000_0000_0001));
        assert!(!p.matches_f64(0x7ff4_0000_0000_0000));
        assert!(!p.matches_f64(0x7ff0_0000_0000_0000));
    }

    #[test]
    fn exact_floats_compare_bits() {
        assert!(matches("(f32.const 1.5)", Val::F32(1.5f32.to_bits())));
        assert!(!matches("(f32.const 0)", Val::F32((-0.0f32).to_bits())));
        assert!(matches("(f32.const -0)", Val::F32(0x8000_0000)));
        // A NaN with a payload must keep it.
        assert!(matches("(f32.const nan:0x200000)", Val::F32(0x7fa0_0000)));
        assert!(!matches("(f32.const nan:0x200000)", Val::F32(0x7fc0_0000)));
        assert!(matches("(f64.const -nan)", Val::F64(0xfff8_0000_0000_0000)));
        assert!(!matches("(f64.const nan)", Val::F64(0xfff8_0000_0000_0000)));
        assert!(matches(
            "(f64.const nan:canonical)",
            Val::F64(0xfff8_0000_0000_0000)
        ));
        assert!(matches("(f32.const nan:arithmetic)", Val::F32(0x7fc0_1234)));
    }

    #[test]
    fn integers_compare_exactly_and_types_must_agree() {
        assert!(matches("(i32.const -1)", Val::I32(-1)));
        assert!(matches("(i32.const 0xffffffff)", Val::I32(-1)));
        assert!(!matches("(i32.const 1)", Val::I64(1)));
        assert!(matches(
            "(i64.const 0x8000000000000000)",
            Val::I64(i64::MIN)
        ));
        assert!(!matches("(f32.const 0)", Val::F64(0)));
    }

    #[test]
    fn references_compare_by_kind_and_extern_number() {
        assert!(matches("(ref.null func)", Val::FuncRef(None)));
        assert!(!matches("(ref.null func)", Val::ExternRef(None)));
        assert!(matches("(ref.null extern)", Val::ExternRef(None)));
        assert!(!matches("(ref.null extern)", Val::FuncRef(None)));
        assert!(matches("(ref.extern 3)", Val::ExternRef(Some(3))));
        assert!(!matches("(ref.extern 3)", Val::ExternRef(Some(4))));
        assert!(!matches("(ref.extern 3)", Val::ExternRef(None)));
        assert!(matches("(ref.extern)", Val::ExternRef(Some(0))));
        assert!(!matches("(ref.func)", Val::FuncRef(None)));
        assert!(!matches("(ref.func)", Val::ExternRef(Some(1))));
    }

    #[test]
    fn a_null_matches_the_nulls_of_its_hierarchy_only() {
        for any in ["any", "eq", "i31", "struct", "array", "none"] {
            assert!(
                matches(&format!("(ref.null {any})"), Val::AnyRef(None)),
                "{any}"
            );
            assert!(
                !matches(&format!("(ref.null {any})"), Val::FuncRef(None)),
                "{any}"
            );
        }
        assert!(matches("(ref.null noexn)", Val::ExnRef(None)));
        assert!(!matches("(ref.null exn)", Val::AnyRef(None)));
        assert!(!matches("(ref.null nofunc)", Val::AnyRef(None)));
        assert!(!matches("(ref.null noextern)", Val::ExnRef(None)));
        // `(ref.null)` is the null of any hierarchy, and no non-null reference.
        for null in [
            Val::FuncRef(None),
            Val::ExternRef(None),
            Val::ExnRef(None),
            Val::AnyRef(None),
        ] {
            assert!(matches("(ref.null)", null), "{null:?}");
        }
        assert!(!matches("(ref.null)", Val::ExternRef(Some(0))));
        assert!(!matches("(ref.null)", Val::I32(0)));
        assert_eq!(arg("(ref.null none)"), Ok(Val::AnyRef(None)));
        assert_eq!(arg("(ref.null noexn)"), Ok(Val::ExnRef(None)));
        with_ret("(ref.null none)", |r| {
            assert_eq!(describe_ret(r), "ref.null any")
        });
        assert_eq!(describe_val(&Val::AnyRef(None)), "anyref:null");
    }

    #[test]
    fn v128_lanes_compare_with_nan_patterns() {
        let bits = u128::from_le_bytes(
            [1i32, -2, 3, i32::MIN]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>()
                .try_into()
                .unwrap(),
        );
        assert!(matches(
            "(v128.const i32x4 1 -2 3 0x80000000)",
            Val::V128(bits)
        ));
        assert!(!matches(
            "(v128.const i32x4 1 2 3 0x80000000)",
            Val::V128(bits)
        ));
        assert!(matches(
            "(v128.const i64x2 0xfffffffe00000001 0x8000000000000003)",
            Val::V128(bits)
        ));
        let lanes = [0x7fc0_0000u32, 0xffc0_0001, 0x3f80_0000, 0];
        let floats = u128::from_le_bytes(
            lanes
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>()
                .try_into()
                .unwrap(),
        );
        assert!(matches(
            "(v128.const f32x4 nan:canonical nan:arithmetic 1 0)",
            Val::V128(floats)
        ));
        assert!(!matches(
            "(v128.const f32x4 nan:canonical nan:canonical 1 0)",
            Val::V128(floats)
        ));
        assert!(matches(
            "(v128.const i8x16 0 0 192 127 1 0 192 255 0 0 128 63 0 0 0 0)",
            Val::V128(floats)
        ));
    }

    #[test]
    fn arguments_become_runtime_values() {
        assert_eq!(arg("(i32.const -7)"), Ok(Val::I32(-7)));
        assert_eq!(arg("(i64.const 0xffffffffffffffff)"), Ok(Val::I64(-1)));
        assert_eq!(arg("(f32.const -0)"), Ok(Val::F32(0x8000_0000)));
        assert_eq!(
            arg("(f64.const nan:0x4)"),
            Ok(Val::F64(0x7ff0_0000_0000_0004))
        );
        assert_eq!(arg("(ref.null func)"), Ok(Val::FuncRef(None)));
        assert_eq!(arg("(ref.null extern)"), Ok(Val::ExternRef(None)));
        assert_eq!(arg("(ref.extern 5)"), Ok(Val::ExternRef(Some(5))));
        assert_eq!(arg("(v128.const i32x4 1 0 0 0)"), Ok(Val::V128(1)));
        assert!(arg("(ref.host 1)").is_err());
    }

    #[test]
    fn descriptions_name_type_and_bits() {
        with_ret("(f32.const nan:canonical)", |r| {
            assert_eq!(describe_ret(r), "f32:nan:canonical")
        });
        with_ret("(f64.const 1)", |r| {
            assert_eq!(describe_ret(r), "f64:1 (0x3ff0000000000000)")
        });
        with_ret("(ref.null extern)", |r| {
            assert_eq!(describe_ret(r), "ref.null extern")
        });
        assert_eq!(describe_val(&Val::F32(0x3fc0_0000)), "f32:1.5 (0x3fc00000)");
        assert_eq!(describe_val(&Val::ExternRef(None)), "externref:null");
        assert_eq!(describe_val(&Val::ExternRef(Some(2))), "externref:2");
        assert_eq!(join(Vec::new()), "nothing");
        assert_eq!(
            join([describe_val(&Val::I32(1)), describe_val(&Val::I64(2))]),
            "i32:1, i64:2"
        );
    }
}
